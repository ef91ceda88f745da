package command

import (
	"slices"
	"strings"
	"testing"

	"github.com/hadeframe/hade/framework/internal/settings"
)

func TestAlertWebhooksFromTheFlagOrTheEnvironment(t *testing.T) {
	t.Setenv(settings.EnvAlertWebhooks,
		" https://env.example.com/a/secret1 ,, http://env2.example.com:8080/b?token=secret2")
	cmd, _ := parsed(t, "start")
	if err := resolveAlertWebhooks(cmd); err != nil {
		t.Fatal(err)
	}
	got, err := cmd.Flags().GetStringSlice(settings.AlertWebhookFlag)
	if err != nil || !slices.Equal(got, []string{"https://env.example.com/a/secret1", "http://env2.example.com:8080/b?token=secret2"}) {
		t.Fatalf("webhooks from the environment: %q, %v", got, err)
	}
	if cmd.Flags().Changed(settings.AlertWebhookFlag) {
		t.Fatal("webhooks taken from the environment mark the flag given")
	}

	cmd, _ = parsed(t, "restart", "--alert-webhook", "https://flag.example.com/x", "--alert-webhook", "https://flag2.example.com/y")
	if err := resolveAlertWebhooks(cmd); err != nil {
		t.Fatal(err)
	}
	got, _ = cmd.Flags().GetStringSlice(settings.AlertWebhookFlag)
	if !slices.Equal(got, []string{"https://flag.example.com/x", "https://flag2.example.com/y"}) {
		t.Fatalf("the flag, given twice, should win over the environment: %q", got)
	}
}

func TestAlertWebhookValidationNamesTheFlagNotTheSecret(t *testing.T) {
	for _, tc := range []struct{ flag, env, source string }{
		{flag: "ftp://hooks.example.com/secret-path", source: "--alert-webhook: webhook #1"},
		{env: "https://ok.example.com/x,hooks.example.com/secret-path",
			source: settings.EnvAlertWebhooks + ": webhook #2"},
		{flag: "https:///secret-path", source: "--alert-webhook: webhook #1"},
	} {
		t.Setenv(settings.EnvAlertWebhooks, tc.env)
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

// restart takes the running daemon's webhooks (settings.Apply marks the flag given), and
// resolveAlertWebhooks keeps them rather than the environment's.
func TestRestartKeepsTheRunningDaemonsWebhooks(t *testing.T) {
	t.Setenv(settings.EnvAlertWebhooks, "https://env.example.com/x")
	hooks := []string{"https://u:pw@hooks.example.com/services/T0/B0/secret1",
		"http://h2.example.com:8080/x?token=secret2"}
	restart, _ := parsed(t, "restart")
	recorded := map[string]string{settings.AlertWebhookFlag: strings.Join(hooks, ",")}
	if _, err := settings.Apply(restart.Flags(), recorded); err != nil {
		t.Fatal(err)
	}
	if err := resolveAlertWebhooks(restart); err != nil {
		t.Fatal(err)
	}
	if got, _ := restart.Flags().GetStringSlice(settings.AlertWebhookFlag); !slices.Equal(got, hooks) {
		t.Fatalf("restart took the running daemon's webhooks as %q", got)
	}
}
