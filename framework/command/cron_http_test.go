package command

import (
	"strings"
	"testing"

	"github.com/hadeframe/hade/framework/internal/settings"
)

// The token comes from --http-token, or from its environment variable when the flag is empty; help never
// shows the variable's value.
func TestHTTPSettingsFromTheFlagsOrTheEnvironment(t *testing.T) {
	t.Setenv(envCronHTTP, "")
	t.Setenv(settings.EnvHTTPToken, "")
	cmd, _ := parsed(t, "start", "-d", "--http", ":9090", "--http-token", "tok123")
	web, err := newCronHTTP(cmd)
	if err != nil || web.Token != "tok123" || web.Address.Bind != "127.0.0.1:9090" || !web.Address.Loopback {
		t.Fatalf("newCronHTTP: %+v, %v", web, err)
	}
	t.Setenv(envCronHTTP, "0.0.0.0:9191")
	t.Setenv(settings.EnvHTTPToken, "envtok456")
	cmd, _ = parsed(t, "start")
	web, err = newCronHTTP(cmd)
	if err != nil || web.Token != "envtok456" || web.Address.Bind != "0.0.0.0:9191" || web.Address.Loopback {
		t.Fatalf("newCronHTTP: %+v, %v", web, err)
	}
	if usage := cmd.UsageString(); strings.Contains(usage, "envtok456") || !strings.Contains(usage, "--http-token") {
		t.Fatalf("help shows the token or lacks the flag:\n%s", usage)
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
