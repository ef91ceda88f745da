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
)

// parsed returns the `cron <sub>` command of a fresh root with args parsed, as cobra leaves it before
// running it, and files for a base folder.
func parsed(t *testing.T, sub string, args ...string) (*cobra.Command, cronFiles) {
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
	return cmd, cronFiles{app: service.(contract.App)}
}

func TestDaemonCommandLineKeepsSecretsInTheEnvironment(t *testing.T) {
	t.Setenv("HADE_REDIS_URL", "redis://:old@host:1/0")
	cmd, files := parsed(t, "start", "-d", "--distributed", "redis", "--redis-url", "redis://:pw123@host:1/0",
		"--drain-timeout", "3s", "--ready-timeout", "1s", "--allow-another-daemon")
	args, env := daemonCommandLine(cmd, files)
	want := []string{"cron", "start", "--daemon", "--allow-another-daemon=true", "--distributed=redis", "--drain-timeout=3s",
		"--base-folder=" + files.app.BaseFolder()}
	if !slices.Equal(args, want) {
		t.Fatalf("args = %q, want %q", args, want)
	}
	if strings.Contains(strings.Join(args, " "), "pw123") {
		t.Fatalf("the password is on the command line: %q", args)
	}
	if !slices.Contains(env, "HADE_REDIS_URL"+"=redis://:pw123@host:1/0") || slices.Contains(env, "HADE_REDIS_URL"+"=redis://:old@host:1/0") {
		t.Fatalf("the environment does not carry the flag's URL alone: %q", env)
	}
}

func TestApplySettingsKeepsTheFlagsGivenAndRedactsWhatIsShown(t *testing.T) {
	cmd, files := parsed(t, "restart", "--redis-prefix", "mine:")
	notes, err := applySettings(cmd, map[string]string{
		"distributed": "redis", "redis-url": "redis://:pw123@host:1/0", "redis-prefix": "theirs:",
		"drain-timeout": "4s", "gone-flag": "x", "base-folder": "/elsewhere",
	})
	if err != nil || len(notes) != 1 || !strings.Contains(notes[0], "--gone-flag") {
		t.Fatalf("applySettings = %q, %v; want one note about the unknown setting", notes, err)
	}
	settings := processSettings(cmd, files)
	for name, want := range map[string]string{
		"distributed": "redis", "redis-url": "redis://:pw123@host:1/0", "redis-prefix": "mine:",
		"drain-timeout": "4s", "base-folder": files.app.BaseFolder(),
	} {
		if settings[name] != want {
			t.Errorf("setting %s = %q, want %q", name, settings[name], want)
		}
	}
	if shown := describeSettings(redactSettings(settings)); shown != `provider redis redis://:xxxxx@host:1/0, key prefix "mine:"` {
		t.Fatalf("described as %q", shown)
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
