package command

import (
	"slices"
	"strings"
	"testing"
)

func TestAlertWebhooksFromTheFlagOrTheEnvironment(t *testing.T) {
	t.Setenv(envAlertWebhooks, " https://env.example.com/a/secret1 ,, http://env2.example.com:8080/b?token=secret2")
	cmd, _ := parsed(t, "start")
	if err := resolveAlertWebhooks(cmd); err != nil {
		t.Fatal(err)
	}
	got, err := cmd.Flags().GetStringSlice(alertWebhookFlag)
	if err != nil || !slices.Equal(got, []string{"https://env.example.com/a/secret1", "http://env2.example.com:8080/b?token=secret2"}) {
		t.Fatalf("webhooks from the environment: %q, %v", got, err)
	}
	if cmd.Flags().Changed(alertWebhookFlag) {
		t.Fatal("webhooks taken from the environment mark the flag given")
	}

	cmd, _ = parsed(t, "restart", "--alert-webhook", "https://flag.example.com/x", "--alert-webhook", "https://flag2.example.com/y")
	if err := resolveAlertWebhooks(cmd); err != nil {
		t.Fatal(err)
	}
	if got, _ := cmd.Flags().GetStringSlice(alertWebhookFlag); !slices.Equal(got, []string{"https://flag.example.com/x", "https://flag2.example.com/y"}) {
		t.Fatalf("the flag, given twice, should win over the environment: %q", got)
	}
}

func TestAlertWebhookValidationNamesTheFlagNotTheSecret(t *testing.T) {
	for _, tc := range []struct{ flag, env, source string }{
		{flag: "ftp://hooks.example.com/secret-path", source: "--alert-webhook: webhook #1"},
		{env: "https://ok.example.com/x,hooks.example.com/secret-path", source: envAlertWebhooks + ": webhook #2"},
		{flag: "https:///secret-path", source: "--alert-webhook: webhook #1"},
	} {
		t.Setenv(envAlertWebhooks, tc.env)
		var args []string
		if tc.flag != "" {
			args = []string{"--alert-webhook", tc.flag}
		}
		cmd, _ := parsed(t, "start", args...)
		err := resolveAlertWebhooks(cmd)
		if err == nil || !strings.Contains(err.Error(), tc.source) || !strings.Contains(err.Error(), "https://alerts.example.com/hade") ||
			strings.Contains(err.Error(), "secret-path") {
			t.Errorf("flag %q env %q: %v; want an error naming %q and an example, without the URL", tc.flag, tc.env, err, tc.source)
		}
	}
}

// Webhook URLs reach a daemon through its environment, never its command line, and are shown as
// scheme://host only; the private settings keep them whole (for cron restart).
func TestAlertWebhooksAreSecrets(t *testing.T) {
	t.Setenv(envAlertWebhooks, "")
	hooks := []string{"https://u:pw@hooks.example.com/services/T0/B0/secret1", "http://h2.example.com:8080/x?token=secret2"}
	cmd, files := parsed(t, "start", "-d", "--alert-webhook", hooks[0], "--alert-webhook", hooks[1])
	if err := resolveAlertWebhooks(cmd); err != nil {
		t.Fatal(err)
	}
	args, env := daemonCommandLine(cmd, files)
	if strings.Contains(strings.Join(args, " "), "secret") || strings.Contains(strings.Join(args, " "), alertWebhookFlag) {
		t.Fatalf("a webhook is on the daemon's command line: %q", args)
	}
	if !slices.Contains(env, envAlertWebhooks+"="+strings.Join(hooks, ",")) {
		t.Fatalf("the daemon's environment does not carry the webhooks: %q", env)
	}
	settings := processSettings(cmd, files)
	if settings[alertWebhookFlag] != strings.Join(hooks, ",") {
		t.Fatalf("the private settings keep %q", settings[alertWebhookFlag])
	}
	shown := redactSettings(settings)[alertWebhookFlag]
	if shown != "https://hooks.example.com/…,http://h2.example.com:8080/…" {
		t.Fatalf("shown as %q", shown)
	}

	restart, _ := parsed(t, "restart")
	if _, err := applySettings(restart, settings); err != nil {
		t.Fatal(err)
	}
	if err := resolveAlertWebhooks(restart); err != nil {
		t.Fatal(err)
	}
	if got, _ := restart.Flags().GetStringSlice(alertWebhookFlag); !slices.Equal(got, hooks) {
		t.Fatalf("restart took the running daemon's webhooks as %q", got)
	}
}
