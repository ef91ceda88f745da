package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/hadeframe/hade/framework/backend"
	"github.com/hadeframe/hade/framework/backend/memory"
)

// logBuffer collects the JSON log lines of runs.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// lines returns the decoded "cron run" lines.
func (b *logBuffer) lines(t *testing.T) []map[string]any {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	var lines []map[string]any
	for _, raw := range strings.Split(strings.TrimSpace(b.buf.String()), "\n") {
		if raw == "" {
			continue
		}
		var line map[string]any
		if err := json.Unmarshal([]byte(raw), &line); err != nil {
			t.Fatalf("log line %q is not JSON: %v", raw, err)
		}
		if line["msg"] == "cron run" {
			lines = append(lines, line)
		}
	}
	return lines
}

func testEnvironment(logs *logBuffer, appID string) Environment {
	return Environment{
		Context: context.Background(),
		Logger:  slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		AppID:   appID,
	}
}

// startWithoutTimer publishes env as Start does but leaves the timing loop off, so a test fires ticks
// itself with fire.
func startWithoutTimer(t *testing.T, s *Scheduler, env Environment) {
	t.Helper()
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	state := newRunning(env)
	for _, j := range s.jobs {
		state.jobs[j.spec.Name] = j
	}
	t.Cleanup(func() { state.cancelRuns(); state.cancelClaims() })
	s.state.Store(state)
}

// fire runs entry index's job for tick, as robfig/cron would: the schedule records the tick, then the job
// runs.
func fire(s *Scheduler, index int, tick time.Time) {
	j := s.jobs[index]
	j.ticks.mu.Lock()
	j.ticks.pending = append(j.ticks.pending, tick)
	j.ticks.mu.Unlock()
	j.Run()
}

func runnable(name string, run func(*cobra.Command, []string) error) *cobra.Command {
	return &cobra.Command{Use: name, RunE: run}
}

func utc(text string) time.Time {
	at, err := time.Parse(time.RFC3339, text)
	if err != nil {
		panic(err)
	}
	return at
}

func TestRegistrationErrorsAreKeptAndNamed(t *testing.T) {
	ok := runnable("ok", func(*cobra.Command, []string) error { return nil })
	s := New()
	s.AddCronCommand("* * * * * *", ok)
	s.AddCronCommand("not a spec", ok)
	s.AddCronCommand("* * * * * *", nil)
	s.AddCronCommand("* * * * * *", &cobra.Command{Use: "group"})
	s.AddDistributedCronCommand("svc", "*/5 * * * * *", ok, 2*time.Second)
	s.AddDistributedCronCommand("svc", "*/5 * * * * *", ok, 2*time.Second)
	s.AddDistributedCronCommand("", "* * * * * *", ok, time.Second)
	s.AddDistributedCronCommand("has space", "* * * * * *", ok, time.Second)
	s.AddDistributedCronCommand("../escape", "* * * * * *", ok, time.Second)
	s.AddDistributedCronCommand("zero", "* * * * * *", ok, 0)
	s.AddDistributedCronCommand("negative", "* * * * * *", ok, -time.Second)
	s.AddDistributedCronCommand("badspec", "TZ=UTC", ok, time.Second)

	if len(s.Entries()) != 2 {
		t.Fatalf("%d specs registered, want the 2 valid ones", len(s.Entries()))
	}
	err := s.Err()
	if err == nil {
		t.Fatal("Err() = nil with invalid registrations")
	}
	for _, want := range []string{
		`#2 (AddCronCommand "not a spec", command "ok"): invalid spec "not a spec"`,
		"#3 (AddCronCommand \"* * * * * *\", <nil command>): the command is nil",
		`#4 (AddCronCommand "* * * * * *", command "group"): command "group" has neither Run nor RunE`,
		`#6 (AddDistributedCronCommand "svc"`, `service name "svc" is already used by registration #5`,
		"#7 (AddDistributedCronCommand \"\"", "service name is empty",
		`#8 (AddDistributedCronCommand "has space"`, "contains white space",
		`#9 (AddDistributedCronCommand "../escape"`, "looks like a path",
		`#10 (AddDistributedCronCommand "zero"`, "hold time 0s is below the minimum 100ms",
		`#11 (AddDistributedCronCommand "negative"`, "hold time -1s is below the minimum 100ms",
		`#12 (AddDistributedCronCommand "badspec"`, "not followed by a schedule",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Err() does not mention %q:\n%v", want, err)
		}
	}
	if got := strings.Count(err.Error(), "\n") + 1; got != 10 {
		t.Errorf("Err() has %d lines, want one per invalid registration (10):\n%v", got, err)
	}
	if err := s.Start(testEnvironment(&logBuffer{}, "app")); err == nil {
		t.Fatal("Start succeeded with invalid registrations")
	}
}

func TestStartNeedsEntriesAndServices(t *testing.T) {
	if err := New().Start(testEnvironment(&logBuffer{}, "app")); err == nil || !strings.Contains(err.Error(), "no cron entries") {
		t.Fatalf("Start with no entries: %v", err)
	}
	s := New()
	s.AddDistributedCronCommand("svc", "* * * * * *", runnable("x", func(*cobra.Command, []string) error { return nil }), time.Second)
	if err := s.Start(testEnvironment(&logBuffer{}, "app")); err == nil || !strings.Contains(err.Error(), "no Distributed service") {
		t.Fatalf("Start of a distributed entry without a Distributed service: %v", err)
	}
}

type ctxKey struct{}

func TestRunGetsTickContainerContextAndLogsOneLine(t *testing.T) {
	var got struct {
		tick  time.Time
		value any
	}
	s := New()
	s.AddCronCommand("* * * * * *", runnable("job", func(cmd *cobra.Command, _ []string) error {
		got.tick, _ = TickFrom(cmd.Context())
		got.value = cmd.Context().Value(ctxKey{})
		return nil
	}))
	logs := &logBuffer{}
	env := testEnvironment(logs, "app-1")
	env.Context = context.WithValue(context.Background(), ctxKey{}, "from-the-root")
	startWithoutTimer(t, s, env)
	tick := time.Date(2026, 11, 22, 1, 2, 3, 0, time.UTC)
	fire(s, 0, tick)

	if !got.tick.Equal(tick) || got.value != "from-the-root" {
		t.Fatalf("the run saw tick %s and value %v; want %s and the environment's context value", got.tick, got.value, tick)
	}
	lines := logs.lines(t)
	if len(lines) != 1 {
		t.Fatalf("%d log lines, want 1", len(lines))
	}
	line := lines[0]
	for key, want := range map[string]any{"job": "job", "type": "normal", "tick": "2026-11-22T01:02:03Z", "app_id": "app-1", "outcome": "ok"} {
		if line[key] != want {
			t.Errorf("log %s = %v, want %v", key, line[key], want)
		}
	}
	if _, ok := line["duration_ms"].(float64); !ok {
		t.Errorf("log has no numeric duration_ms: %v", line)
	}
}

func TestRunErrorPanicAndBadArgsAreLoggedAndTheProcessLivesOn(t *testing.T) {
	var calls atomic.Int32
	s := New()
	s.AddCronCommand("* * * * * *", runnable("fails", func(*cobra.Command, []string) error { return errors.New("boom") }))
	s.AddCronCommand("* * * * * *", runnable("panics", func(*cobra.Command, []string) error {
		if calls.Add(1) == 1 {
			panic("kaboom")
		}
		return nil
	}))
	needsArg := runnable("needs-arg", func(*cobra.Command, []string) error { return nil })
	needsArg.Args = cobra.ExactArgs(1)
	s.AddCronCommand("* * * * * *", needsArg)
	logs := &logBuffer{}
	startWithoutTimer(t, s, testEnvironment(logs, "app"))
	tick := time.Now().Truncate(time.Second)
	fire(s, 0, tick)
	fire(s, 1, tick)
	fire(s, 1, tick.Add(time.Second))
	fire(s, 2, tick)

	lines := logs.lines(t)
	want := []struct{ job, outcome, error string }{
		{"fails", "error", "boom"},
		{"panics", "panic", "panic: kaboom"},
		{"panics", "ok", ""},
		{"needs-arg", "error", "accepts 1 arg(s), received 0"},
	}
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d", len(lines), len(want))
	}
	for i, w := range want {
		if lines[i]["job"] != w.job || lines[i]["outcome"] != w.outcome {
			t.Errorf("line %d: job %v outcome %v, want %s %s", i, lines[i]["job"], lines[i]["outcome"], w.job, w.outcome)
		}
		if level := map[string]string{"ok": "INFO", "error": "ERROR", "panic": "ERROR"}[w.outcome]; lines[i]["level"] != level {
			t.Errorf("line %d: level %v, want %s", i, lines[i]["level"], level)
		}
		if message, _ := lines[i]["error"].(string); w.error != "" && !strings.Contains(message, w.error) {
			t.Errorf("line %d: error %q, want it to contain %q", i, message, w.error)
		}
	}
	if stack, _ := lines[1]["stack"].(string); !strings.Contains(stack, "scheduler_test.go") {
		t.Errorf("a panic line carries the stack; got %q", stack)
	}
}

// Required flags and flag groups are checked at every run, as the CLI checks them.
func TestRequiredFlagsAndFlagGroupsAreChecked(t *testing.T) {
	required := runnable("required", func(*cobra.Command, []string) error { return nil })
	required.Flags().String("target", "", "")
	if err := required.MarkFlagRequired("target"); err != nil {
		t.Fatal(err)
	}
	grouped := runnable("grouped", func(*cobra.Command, []string) error { return nil })
	grouped.Flags().String("a", "", "")
	grouped.Flags().String("b", "", "")
	grouped.MarkFlagsOneRequired("a", "b")
	s := New()
	s.AddCronCommand("* * * * * *", required)
	s.AddCronCommand("* * * * * *", grouped)
	logs := &logBuffer{}
	startWithoutTimer(t, s, testEnvironment(logs, "app"))
	tick := time.Now().Truncate(time.Second)
	for i := 0; i < 2; i++ { // the first run and a later one
		fire(s, 0, tick.Add(time.Duration(i)*time.Second))
		fire(s, 1, tick.Add(time.Duration(i)*time.Second))
	}
	lines := logs.lines(t)
	if len(lines) != 4 {
		t.Fatalf("%d lines, want 4", len(lines))
	}
	for _, line := range lines {
		message, _ := line["error"].(string)
		if line["outcome"] != "error" || !(strings.Contains(message, `required flag(s) "target" not set`) || strings.Contains(message, "at least one of the flags in the group [a b] is required")) {
			t.Fatalf("line %v: want the CLI's required-flag and flag-group errors", line)
		}
	}
}

func TestOverlappingRunOfTheSameEntryIsSkipped(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	s := New()
	s.AddCronCommand("* * * * * *", runnable("slow", func(*cobra.Command, []string) error {
		started <- struct{}{}
		<-release
		return nil
	}))
	logs := &logBuffer{}
	startWithoutTimer(t, s, testEnvironment(logs, "app"))
	tick := time.Now().Truncate(time.Second)
	done := make(chan struct{})
	go func() { fire(s, 0, tick); close(done) }()
	<-started
	fire(s, 0, tick.Add(time.Second))
	close(release)
	<-done

	lines := logs.lines(t)
	if len(lines) != 2 || lines[0]["outcome"] != "skipped" || lines[1]["outcome"] != "ok" {
		t.Fatalf("outcomes %v, want the second tick skipped while the first ran", lines)
	}
	if lines[0]["tick"] != tick.Add(time.Second).Format(time.RFC3339) {
		t.Fatalf("the skipped line names tick %v, want the skipped tick", lines[0]["tick"])
	}
}

// Hooks run in cobra's order, around the command itself, never the root command of the CLI.
func TestHooksRunInCobraOrder(t *testing.T) {
	var order []string
	record := func(name string) func(*cobra.Command, []string) {
		return func(*cobra.Command, []string) { order = append(order, name) }
	}
	root := &cobra.Command{Use: "app", PersistentPreRun: record("root-persistent-pre"), PersistentPostRun: record("root-persistent-post"),
		Run: func(*cobra.Command, []string) { t.Error("the root's Run must not run") }}
	child := &cobra.Command{Use: "child", PreRun: record("pre"), Run: record("run"), PostRun: record("post")}
	root.AddCommand(child)
	s := New()
	s.AddCronCommand("* * * * * *", child)
	startWithoutTimer(t, s, testEnvironment(&logBuffer{}, "app"))
	fire(s, 0, time.Now().Truncate(time.Second))
	want := "root-persistent-pre pre run post root-persistent-post"
	if got := strings.Join(order, " "); got != want {
		t.Fatalf("hooks ran as %q, want %q", got, want)
	}

	// with cobra.EnableTraverseRunHooks, every parent's persistent hooks run: pre root first, post last
	child.PersistentPreRun, child.PersistentPostRun = record("child-persistent-pre"), record("child-persistent-post")
	cobra.EnableTraverseRunHooks = true
	t.Cleanup(func() { cobra.EnableTraverseRunHooks = false })
	order = nil
	fire(s, 0, time.Now().Truncate(time.Second).Add(time.Second))
	want = "root-persistent-pre child-persistent-pre pre run post child-persistent-post root-persistent-post"
	if got := strings.Join(order, " "); got != want {
		t.Fatalf("with traverse hooks, hooks ran as %q, want %q", got, want)
	}
}

// Entries sharing a command, with flags, and other commands overlap freely under -race; runs of one
// command never overlap (cobra keeps flags and context in the command) and see default flags.
func TestOverlappingEntriesHaveNoDataRace(t *testing.T) {
	var inShared, maxShared atomic.Int32
	var badFlag atomic.Value
	shared := &cobra.Command{Use: "shared", RunE: func(cmd *cobra.Command, _ []string) error {
		n := inShared.Add(1)
		defer inShared.Add(-1)
		for {
			m := maxShared.Load()
			if n <= m || maxShared.CompareAndSwap(m, n) {
				break
			}
		}
		if name, err := cmd.Flags().GetString("name"); err != nil || name != "default" {
			badFlag.Store(name)
		}
		time.Sleep(time.Millisecond)
		return nil
	}}
	shared.Flags().String("name", "default", "a flag")
	root := &cobra.Command{Use: "app"}
	root.PersistentFlags().String("base-folder", ".", "")
	other := &cobra.Command{Use: "other", Run: func(cmd *cobra.Command, _ []string) {
		_, _ = cmd.Flags().GetString("base-folder")
	}}
	root.AddCommand(shared, other)

	s := New()
	s.AddCronCommand("* * * * * *", shared)
	s.AddDistributedCronCommand("svc", "* * * * * *", shared, time.Hour)
	s.AddCronCommand("* * * * * *", other)
	logs := &logBuffer{}
	env := testEnvironment(logs, "app")
	env.Backend = memory.NewStore(nil).Open(backend.Retention{})
	startWithoutTimer(t, s, env)

	base := time.Now().Truncate(time.Second)
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		for entry := 0; entry < 3; entry++ {
			wg.Add(1)
			go func() { defer wg.Done(); fire(s, entry, base.Add(time.Duration(i)*time.Millisecond)) }()
		}
	}
	wg.Wait()
	if maxShared.Load() != 1 {
		t.Fatalf("%d runs of one command overlapped", maxShared.Load())
	}
	if v := badFlag.Load(); v != nil {
		t.Fatalf("a run saw flag name=%v, want the default", v)
	}
	for _, line := range logs.lines(t) {
		switch line["outcome"] {
		case "ok", "skipped", "not_selected":
		default:
			t.Fatalf("unexpected outcome: %v", line)
		}
	}
}

// Two processes (schedulers with their own app ids) sharing one backend: each tick runs on one of them.
// sharingProcesses starts (without timer) the schedulers of two processes, app-a and app-b, sharing store:
// each with the every-second distributed entry "svc" running run, with hold and options; logs gets the
// lines of both.
func sharingProcesses(t *testing.T, store *memory.Store, logs *logBuffer, run func(*cobra.Command, []string) error,
	hold time.Duration, options ...EntryOption) []*Scheduler {
	t.Helper()
	schedulers := make([]*Scheduler, 2)
	for i := range schedulers {
		s := New()
		s.AddDistributedCronCommand("svc", "* * * * * *", runnable("job", run), hold, options...)
		env := testEnvironment(logs, []string{"app-a", "app-b"}[i])
		env.Backend = store.Open(backend.Retention{})
		startWithoutTimer(t, s, env)
		schedulers[i] = s
	}
	return schedulers
}

func TestDistributedTickRunsOnOneProcess(t *testing.T) {
	store := memory.NewStore(nil)
	var runs atomic.Int32
	logs := &logBuffer{}
	schedulers := sharingProcesses(t, store, logs, func(*cobra.Command, []string) error { runs.Add(1); return nil }, 2*time.Second)
	tick := time.Now().Truncate(time.Second)
	for _, s := range schedulers {
		fire(s, 0, tick)
	}
	if runs.Load() != 1 {
		t.Fatalf("the tick ran %d times, want 1", runs.Load())
	}
	lines := logs.lines(t)
	if lines[0]["outcome"] != "ok" || lines[1]["outcome"] != "not_selected" || lines[1]["selected"] != "app-a" || lines[0]["service"] != "svc" ||
		lines[0]["level"] != "INFO" || lines[1]["level"] != "DEBUG" {
		t.Fatalf("lines %v: want ok on app-a at INFO, not_selected naming app-a on app-b at DEBUG", lines)
	}
	// a late process firing an older tick after a newer one was claimed is refused
	fire(schedulers[0], 0, tick.Add(time.Second))
	fire(schedulers[1], 0, tick)
	if runs.Load() != 2 {
		t.Fatalf("runs = %d, want 2: the old tick must not run again", runs.Load())
	}
}

func TestBackendErrorSkipsTheTickAndKeepsRunning(t *testing.T) {
	backend := memory.NewStore(nil).Open(backend.Retention{})
	var runs atomic.Int32
	s := New()
	s.AddDistributedCronCommand("svc", "* * * * * *", runnable("job", func(*cobra.Command, []string) error { runs.Add(1); return nil }), 2*time.Second)
	logs := &logBuffer{}
	env := testEnvironment(logs, "app")
	env.Backend = backend
	startWithoutTimer(t, s, env)
	// a closed client fails every claim, as a backend that cannot be reached does
	if err := backend.Close(); err != nil {
		t.Fatal(err)
	}
	tick := time.Now().Truncate(time.Second)
	fire(s, 0, tick)
	fire(s, 0, tick.Add(time.Second))
	lines := logs.lines(t)
	if runs.Load() != 0 || len(lines) != 2 || lines[0]["outcome"] != "error" || !strings.Contains(lines[0]["error"].(string), "claim tick") {
		t.Fatalf("runs %d, lines %v: want no run and an error line per tick", runs.Load(), lines)
	}
}

// With the real timing loop: a run that honours its context is cancelled at the drain deadline, not
// before, and is reported as canceled, not abandoned.
func TestStopCancelsRunContextsAtTheDrainDeadline(t *testing.T) {
	started := make(chan struct{}, 1)
	var liveAtStop atomic.Bool
	s := New()
	s.AddCronCommand("* * * * * *", runnable("waits", func(cmd *cobra.Command, _ []string) error {
		select {
		case started <- struct{}{}:
		default:
		}
		<-cmd.Context().Done()
		return cmd.Context().Err()
	}))
	logs := &logBuffer{}
	if err := s.Start(testEnvironment(logs, "app")); err != nil {
		t.Fatal(err)
	}
	select {
	case <-started:
	case <-time.After(5 * time.Second):
		t.Fatal("no run started within 5s of an every-second entry")
	}
	go func() {
		<-s.state.Load().claims.Done() // Stop has begun
		liveAtStop.Store(s.state.Load().runs.Err() == nil)
	}()
	report := s.Stop(200 * time.Millisecond)
	if report.Canceled != 1 || report.Abandoned != 0 {
		t.Fatalf("Stop reported %+v, want 1 canceled and none abandoned", report)
	}
	if !liveAtStop.Load() {
		t.Fatal("the run's context was cancelled when Stop began, before the drain deadline")
	}
	var canceled []map[string]any
	for _, line := range logs.lines(t) {
		if line["outcome"] == outcomeCanceled {
			canceled = append(canceled, line)
		}
	}
	if len(canceled) != 1 || canceled[0]["level"] != "WARN" || !strings.Contains(fmt.Sprint(canceled[0]["error"]), "context canceled") {
		t.Fatalf("canceled lines %v: want one at WARN with the context's error", canceled)
	}
	if err := s.Start(testEnvironment(&logBuffer{}, "app")); err == nil {
		t.Fatal("a second Start must fail")
	}
}

// With the real timing loop, each run gets its scheduled tick: whole, consecutive seconds, the same
// value in TickFrom and in the log line.
func TestRealTicksAreTheScheduledFireTimes(t *testing.T) {
	var mu sync.Mutex
	var ticks []time.Time
	s := New()
	s.AddCronCommand("* * * * * *", runnable("tick", func(cmd *cobra.Command, _ []string) error {
		tick, _ := TickFrom(cmd.Context())
		mu.Lock()
		ticks = append(ticks, tick)
		mu.Unlock()
		return nil
	}))
	logs := &logBuffer{}
	if err := s.Start(testEnvironment(logs, "app")); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		n := len(ticks)
		mu.Unlock()
		if n >= 3 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.Stop(5 * time.Second)
	mu.Lock()
	defer mu.Unlock()
	if len(ticks) < 3 {
		t.Fatalf("%d runs in 10s of an every-second entry", len(ticks))
	}
	for i, tick := range ticks {
		if tick.Nanosecond() != 0 {
			t.Fatalf("tick %s is not a whole second", tick)
		}
		if i > 0 && tick.Sub(ticks[i-1]) != time.Second {
			t.Fatalf("ticks %s then %s: want consecutive seconds", ticks[i-1], tick)
		}
	}
	for i, line := range logs.lines(t)[:len(ticks)] {
		if line["tick"] != ticks[i].Format(time.RFC3339) {
			t.Fatalf("log line %d names tick %v, the run saw %s", i, line["tick"], ticks[i])
		}
	}
}
