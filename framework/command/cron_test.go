package command

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/hadeframe/hade/framework/console"
	"github.com/hadeframe/hade/framework/contract"
	"github.com/hadeframe/hade/framework/internal/provider/app"
	"github.com/hadeframe/hade/framework/internal/settings"
	"github.com/hadeframe/hade/framework/internal/supervisor"
)

// parsed returns the `cron <sub>` command of a fresh root with args parsed, as cobra leaves it before
// running it, and files for a base folder.
func parsed(t *testing.T, sub string, args ...string) (*cobra.Command, supervisor.Files) {
	t.Helper()
	root := console.NewRoot("app", "test")
	AddKernelCommands(root)
	cmd, rest, err := root.Find(append([]string{"cron", sub}, args...))
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.ParseFlags(rest); err != nil {
		t.Fatal(err)
	}
	base := t.TempDir()
	service, err := app.Provider{BaseFolder: func() string { return base }}.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return cmd, supervisor.NewFiles(service.(contract.App))
}

// The secret flags of the real `cron start -d` and `cron restart` are known to package settings as such:
// none reaches a daemon's command line, each its environment.
func TestSecretFlagsOfTheCommandsStayOffTheDaemonCommandLine(t *testing.T) {
	t.Setenv("HADE_REDIS_URL", "")
	t.Setenv(settings.EnvAlertWebhooks, "")
	secrets := []string{"--redis-url", "redis://:pw123@host:1/0", "--http-token", "tok123",
		"--alert-webhook", "https://hooks.example.com/secret1"}
	for _, sub := range []string{"start", "restart"} {
		args := append([]string{"--distributed", "redis", "--http", ":9090"}, secrets...)
		cmd, files := parsed(t, sub, args...)
		if err := resolveAlertWebhooks(cmd); err != nil {
			t.Fatal(err)
		}
		args, env := settings.DaemonCommandLine(cmd.Flags(), files.App.BaseFolder())
		line := strings.Join(args, " ")
		if strings.Contains(line, "pw123") || strings.Contains(line, "tok123") ||
			strings.Contains(line, "secret1") || !strings.Contains(line, "--http=:9090") {
			t.Fatalf("cron %s: the daemon's command line %q has a secret, or lacks --http", sub, args)
		}
		for _, want := range []string{"HADE_REDIS_URL=redis://:pw123@host:1/0",
			settings.EnvHTTPToken + "=tok123",
			settings.EnvAlertWebhooks + "=https://hooks.example.com/secret1"} {
			if !slices.Contains(env, want) {
				t.Errorf("cron %s: the daemon's environment lacks %s", sub, want)
			}
		}
	}
}

// AddKernelCommands needs a root of console.NewRoot; another is a programming error, reported at once.
func TestAddKernelCommandsRefusesARootNotMadeByNewRoot(t *testing.T) {
	defer func() {
		if recovered := recover(); recovered == nil || !strings.Contains(fmt.Sprint(recovered), "console.NewRoot") {
			t.Fatalf("AddKernelCommands(&console.Root{}) recovered %v; want a panic naming console.NewRoot", recovered)
		}
	}()
	AddKernelCommands(&console.Root{Command: &cobra.Command{Use: "app"}})
}
