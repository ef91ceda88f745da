package kernel

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/hadeframe/hade/framework"
)

// testRoot returns a root with its base folder in a temporary folder, and a context carrying its container
// as Execute gives every command.
func testRoot(t *testing.T) (*Root, context.Context) {
	t.Helper()
	root := NewRoot("app", "test")
	root.Settings.BaseFolder = t.TempDir()
	return root, framework.WithContainer(context.Background(), root.Container)
}

// addDistributedEntry registers a distributed entry on root.
func addDistributedEntry(t *testing.T, root *Root) {
	t.Helper()
	job := &cobra.Command{Use: "job", RunE: func(*cobra.Command, []string) error { return nil }}
	root.Scheduler.AddDistributedCronCommand("svc", "* * * * * *", job, time.Second)
	if err := root.Scheduler.Err(); err != nil {
		t.Fatal(err)
	}
}

// withBadRedisPassword points root at Redis with a URL that does not parse, its password s3cret.
func withBadRedisPassword(root *Root) {
	root.Settings.Backend = "redis"
	*root.Settings.values["redis-url"] = "redis://:s3cret%zz@host:1/0"
}

func TestDistributedBackendOnlyWhenAnEntryIsDistributed(t *testing.T) {
	root, ctx := testRoot(t)
	if backend, err := root.DistributedBackend(ctx); backend != nil || err != nil || root.UsesDistributed() {
		t.Fatalf("without distributed entries: %v, %v, uses distributed %v; want none", backend, err,
			root.UsesDistributed())
	}
	addDistributedEntry(t, root)
	backend, err := root.DistributedBackend(ctx)
	if err != nil || backend == nil || !root.UsesDistributed() {
		t.Fatalf("with a distributed entry: %v, %v; want the backend", backend, err)
	}
	if err := backend.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := root.DistributedBackend(context.Background()); err == nil {
		t.Fatal("a context without a container made a backend")
	}
}

func TestReadBackendErrorsHaveNoSecret(t *testing.T) {
	root, ctx := testRoot(t)
	withBadRedisPassword(root)
	if _, err := root.ReadBackend(ctx); err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("ReadBackend = %v; want an error without the password", err)
	}
}

// A process with normal entries only runs without a backend it cannot make, and says so; one with a
// distributed entry fails.
func TestServingBackendIsOptionalForNormalEntriesOnly(t *testing.T) {
	root, ctx := testRoot(t)
	withBadRedisPassword(root)
	var log bytes.Buffer
	backend, err := root.ServingBackend(ctx, slog.New(slog.NewJSONHandler(&log, nil)))
	if backend != nil || err != nil || !strings.Contains(log.String(), "normal entries run without them") ||
		strings.Contains(log.String(), "s3cret") || !root.backendWait {
		t.Fatalf("ServingBackend = %v, %v, logged %s; want none, a warning without the password", backend, err,
			&log)
	}
	root, ctx = testRoot(t)
	withBadRedisPassword(root)
	addDistributedEntry(t, root)
	if _, err := root.ServingBackend(ctx, slog.New(slog.NewJSONHandler(&log, nil))); err == nil ||
		strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("with a distributed entry: %v; want an error without the password", err)
	}
}

func TestApplyCronZoneNamesTheSetting(t *testing.T) {
	root, _ := testRoot(t)
	root.Settings.CronZone = "Mars/Olympus_Mons"
	err := root.ApplyCronZone()
	if err == nil || !strings.Contains(err.Error(), "--cron-tz or HADE_CRON_TZ") {
		t.Fatalf("ApplyCronZone = %v; want an error naming the setting", err)
	}
	root.Settings.CronZone = "UTC"
	if err := root.ApplyCronZone(); err != nil {
		t.Fatal(err)
	}
}

// The provider line says whether the backend is used, and which one; its error has no secret.
func TestDescribeDistributed(t *testing.T) {
	root, ctx := testRoot(t)
	if line, err := root.DescribeDistributed(ctx); err != nil ||
		line != "distributed provider: not used (no distributed entries)" {
		t.Fatalf("without distributed entries: %q, %v", line, err)
	}
	addDistributedEntry(t, root)
	line, err := root.DescribeDistributed(ctx)
	if err != nil || !strings.HasPrefix(line, "distributed provider: local") {
		t.Fatalf("local: %q, %v", line, err)
	}
	if backend, err := root.DistributedBackend(ctx); err != nil || backend.Close() != nil {
		t.Fatalf("close the local backend: %v", err)
	}
	root, ctx = testRoot(t)
	addDistributedEntry(t, root)
	withBadRedisPassword(root)
	line, err = root.DescribeDistributed(ctx)
	if err == nil || line != "distributed provider: UNAVAILABLE: "+err.Error() ||
		strings.Contains(line, "s3cret") {
		t.Fatalf("bad Redis URL: %q, %v; want UNAVAILABLE and the error, without the password", line, err)
	}
}
