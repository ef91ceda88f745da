package kernel

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
)

// invalidRoot returns a root with an invalid registration, a job and an operations command "stop".
func invalidRoot(ran *[]string) (*Root, *bytes.Buffer) {
	root := NewRoot("app", "test")
	record := func(name string) func(*cobra.Command, []string) error {
		return func(*cobra.Command, []string) error { *ran = append(*ran, name); return nil }
	}
	job := &cobra.Command{Use: "job", RunE: record("job")}
	stop := &cobra.Command{Use: "stop", RunE: record("stop"), Annotations: map[string]string{AnnotationOperation: "yes"}}
	root.AddCommand(job, stop)
	root.Scheduler.AddDistributedCronCommand("bad name", "* * * * * *", job, time.Second)
	var stderr, stdout bytes.Buffer
	root.SetErr(&stderr)
	root.SetOut(&stdout)
	return root, &stderr
}

func TestOperationsHelpAndCompletionRunDespiteInvalidRegistrations(t *testing.T) {
	for _, args := range [][]string{{"stop"}, {}, {"help"}, {"--help"}, {"job", "--help"}, {"help", "job"}, {"completion", "bash"}, {"__complete", "st"}} {
		var ran []string
		root, stderr := invalidRoot(&ran)
		root.SetArgs(args)
		if err := root.Execute(context.Background()); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		if len(args) > 0 && args[0] == "stop" && len(ran) != 1 {
			t.Fatalf("stop did not run: %v", ran)
		}
		completing := len(args) > 0 && args[0] == "__complete"
		if !completing && (!strings.Contains(stderr.String(), "Warning: invalid cron registrations") ||
			!strings.Contains(stderr.String(), `service name "bad name"`)) {
			t.Fatalf("%v: stderr %q, want the registration errors as a warning", args, stderr)
		}
		if completing && strings.Contains(stderr.String(), "Warning") {
			t.Fatalf("shell completion printed %q to the terminal", stderr)
		}
	}
	for _, args := range [][]string{{"job"}, {"bogus"}} {
		var ran []string
		root, _ := invalidRoot(&ran)
		root.SetArgs(args)
		if err := root.Execute(context.Background()); err == nil || len(ran) != 0 || !strings.Contains(err.Error(), "nothing was run") {
			t.Fatalf("%v: Execute = %v, ran %v; want a refusal", args, err, ran)
		}
	}
}

func TestExecuteNeverReturnsTheRedisPassword(t *testing.T) {
	root := NewRoot("app", "test")
	root.AddCommand(&cobra.Command{Use: "fail", RunE: func(cmd *cobra.Command, _ []string) error {
		return WithExitCode(2, fmt.Errorf("parse %q: invalid escape", *root.Settings.values["redis-url"]))
	}})
	root.SetArgs([]string{"--redis-url", "redis://:s3cret%zz@host:1/0", "fail"})
	err := root.Execute(context.Background())
	if err == nil || strings.Contains(err.Error(), "s3cret") || ExitCode(err) != 2 {
		t.Fatalf("Execute = %v (exit %d); want the error without the password, exit 2", err, ExitCode(err))
	}
}
