package command

import (
	"slices"
	"strings"
	"testing"

	"github.com/hadeframe/hade/framework/internal/secret"
)

// The token given by flag goes to a daemon through its environment, never its command line; settings
// shown anywhere carry it masked, the owner-only private settings in full (for cron restart).
func TestHTTPTokenStaysSecret(t *testing.T) {
	cmd, files := parsed(t, "start", "-d", "--http", ":9090", "--http-token", "tok123")
	args, env := daemonCommandLine(cmd, files)
	if strings.Contains(strings.Join(args, " "), "tok123") || !slices.Contains(args, "--http=:9090") {
		t.Fatalf("daemon command line %q: want --http, and not the token", args)
	}
	if !slices.Contains(env, envCronHTTPToken+"=tok123") {
		t.Fatalf("the daemon's environment does not carry the token")
	}
	settings := processSettings(cmd, files)
	if settings["http-token"] != "tok123" || settings["http"] != ":9090" {
		t.Fatalf("private settings: http %q, token given: %v", settings["http"], settings["http-token"] == "tok123")
	}
	if shown := redactSettings(settings)["http-token"]; shown != secret.Mask {
		t.Fatalf("redacted token shown as %q, want %q", shown, secret.Mask)
	}
	web, err := newCronHTTP(cmd)
	if err != nil || web.Token != "tok123" || web.Address.Bind != "127.0.0.1:9090" || !web.Address.Loopback {
		t.Fatalf("newCronHTTP: %+v, %v", web, err)
	}
}

// From the environment: the token is read, recorded for restart, masked when shown, absent from help.
func TestHTTPSettingsFromTheEnvironment(t *testing.T) {
	t.Setenv(envCronHTTP, "0.0.0.0:9191")
	t.Setenv(envCronHTTPToken, "envtok456")
	cmd, files := parsed(t, "start")
	web, err := newCronHTTP(cmd)
	if err != nil || web.Token != "envtok456" || web.Address.Bind != "0.0.0.0:9191" || web.Address.Loopback {
		t.Fatalf("newCronHTTP: %+v, %v", web, err)
	}
	if settings := processSettings(cmd, files); settings["http-token"] != "envtok456" {
		t.Fatal("the token from the environment is not in the private settings")
	}
	if shown := redactSettings(processSettings(cmd, files))["http-token"]; shown != secret.Mask {
		t.Fatalf("redacted token shown as %q", shown)
	}
	if usage := cmd.UsageString(); strings.Contains(usage, "envtok456") || !strings.Contains(usage, "--http-token") {
		t.Fatalf("help shows the token or lacks the flag:\n%s", usage)
	}
}

// restart takes the running daemon's token and hands it to the new daemon through the environment.
func TestRestartCarriesTheTokenInTheEnvironment(t *testing.T) {
	cmd, files := parsed(t, "restart")
	if _, err := applySettings(cmd, map[string]string{"http": "127.0.0.1:9292", "http-token": "old789"}); err != nil {
		t.Fatal(err)
	}
	args, env := daemonCommandLine(cmd, files)
	if strings.Contains(strings.Join(args, " "), "old789") || !slices.Contains(args, "--http=127.0.0.1:9292") {
		t.Fatalf("daemon command line %q", args)
	}
	if !slices.Contains(env, envCronHTTPToken+"=old789") {
		t.Fatal("the new daemon's environment does not carry the token")
	}
}

func TestHTTPIsOffByDefaultAndRefusesBadAddresses(t *testing.T) {
	t.Setenv(envCronHTTP, "")
	cmd, _ := parsed(t, "start")
	if web, err := newCronHTTP(cmd); web != nil || err != nil {
		t.Fatalf("without --http: %+v, %v", web, err)
	}
	cmd, _ = parsed(t, "start", "--http", "9090")
	_, err := newCronHTTP(cmd)
	if err == nil || !strings.Contains(err.Error(), "--http") || !strings.Contains(err.Error(), `"127.0.0.1:9090"`) {
		t.Fatalf("--http 9090: %v; want an error naming the flag and a valid example", err)
	}
}
