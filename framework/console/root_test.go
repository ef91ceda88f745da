package console

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/hadeframe/hade/framework"
	"github.com/hadeframe/hade/framework/contract"
)

func withArgs(t *testing.T, args ...string) {
	t.Helper()
	saved := os.Args
	os.Args = append([]string{"app"}, args...)
	t.Cleanup(func() { os.Args = saved })
}

func TestExecuteRefusesInvalidRegistrationsBeforeRunningAnything(t *testing.T) {
	ran := false
	root := NewRoot("app", "test")
	job := &cobra.Command{Use: "job", RunE: func(*cobra.Command, []string) error { ran = true; return nil }}
	root.AddCommand(job)
	root.AddCronCommand("every now and then", job)
	root.AddDistributedCronCommand("bad name", "* * * * * *", job, time.Second)
	withArgs(t, "job")
	err := root.Execute(context.Background())
	if err == nil || ran {
		t.Fatalf("Execute = %v, ran = %v; want an error and nothing run", err, ran)
	}
	for _, want := range []string{`invalid spec "every now and then"`, `service name "bad name" contains white space`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %q: %v", want, err)
		}
	}
}

func TestCommandsReachTheContainerFromTheirContext(t *testing.T) {
	root := NewRoot("app", "test")
	folder := t.TempDir()
	var appID, base string
	root.AddCommand(&cobra.Command{Use: "show", RunE: func(cmd *cobra.Command, _ []string) error {
		container, err := framework.ContainerFrom(cmd.Context())
		if err != nil {
			return err
		}
		app, err := framework.MakeAs[contract.App](container, contract.AppKey)
		if err != nil {
			return err
		}
		appID, base = app.AppID(), app.BaseFolder()
		return nil
	}})
	withArgs(t, "--base-folder", folder, "show")
	if err := root.Execute(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(appID) != 36 || base != folder {
		t.Fatalf("app id %q, base folder %q; want a UUID and %q", appID, base, folder)
	}
}

func TestBadSettingsAreNamed(t *testing.T) {
	withArgs(t, "--base-folder", t.TempDir(), "--distributed", "zookeeper", "make")
	err := rootThatMakes(contract.BackendKey).Execute(context.Background())
	if err == nil || !strings.Contains(err.Error(), `"zookeeper"`) || !strings.Contains(err.Error(), "--distributed") || !strings.Contains(err.Error(), `"local"`) {
		t.Fatalf("unknown backend: %v; want the value, the setting and the valid values", err)
	}
	withArgs(t, "--base-folder", "/does/not/exist", "make")
	err = rootThatMakes(contract.AppKey).Execute(context.Background())
	if err == nil || !strings.Contains(err.Error(), "/does/not/exist") || !strings.Contains(err.Error(), "--base-folder") {
		t.Fatalf("missing base folder: %v", err)
	}
}

// rootThatMakes returns a root whose "make" command makes the service bound to key.
func rootThatMakes(key string) *Root {
	root := NewRoot("app", "test")
	root.AddCommand(&cobra.Command{Use: "make", RunE: func(cmd *cobra.Command, _ []string) error {
		container, err := framework.ContainerFrom(cmd.Context())
		if err != nil {
			return err
		}
		_, err = container.Make(key)
		return err
	}})
	return root
}

// The default of --redis-url comes from HADE_REDIS_URL; --help shows it without its password, and the
// value itself keeps it.
func TestHelpHidesThePasswordOfTheRedisURLFromTheEnvironment(t *testing.T) {
	t.Setenv("HADE_REDIS_URL", "redis://user:hunter2secret@localhost:6379/0")
	root := NewRoot("app", "test")
	if usage := root.Command.PersistentFlags().FlagUsages(); strings.Contains(usage, "hunter2secret") || !strings.Contains(usage, "redis://user:") {
		t.Errorf("--help shows the password or not the URL:\n%s", usage)
	}
	if got := root.Command.PersistentFlags().Lookup("redis-url").Value.String(); !strings.Contains(got, "hunter2secret") {
		t.Errorf("--redis-url = %q; want the environment's URL with its password", got)
	}
}
