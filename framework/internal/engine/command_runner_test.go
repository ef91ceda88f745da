package engine

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spf13/cobra"
)

// flagsSeen is what a run saw of its flags.
type flagsSeen struct {
	mode, persistent, baseFolder string
	list                         []string
	level                        int
	modeChanged, listChanged     bool
}

// Each run starts with the command's own flags at their defaults and unchanged, whether the previous run
// changed them through the flag set or through the bound variable; the parent's persistent flags keep
// the process's settings.
func TestFlagsAreResetBeforeEachRun(t *testing.T) {
	root := &cobra.Command{Use: "app"}
	root.PersistentFlags().String("base-folder", ".", "")
	if err := root.PersistentFlags().Set("base-folder", "/srv/app"); err != nil { // the cron process's setting
		t.Fatal(err)
	}
	var level int
	var seen []flagsSeen
	job := &cobra.Command{Use: "job", RunE: func(cmd *cobra.Command, _ []string) error {
		f := cmd.Flags()
		var s flagsSeen
		s.mode, _ = f.GetString("mode")
		s.persistent, _ = f.GetString("persistent")
		s.baseFolder, _ = f.GetString("base-folder")
		s.list, _ = f.GetStringSlice("list")
		s.level = level
		s.modeChanged, s.listChanged = f.Changed("mode"), f.Changed("list")
		seen = append(seen, s)
		// what run 1 leaves behind: flags set as the CLI would, and a bound variable assigned directly
		for name, value := range map[string]string{"mode": "changed", "persistent": "changed", "list": "x,y"} {
			if err := f.Set(name, value); err != nil {
				return err
			}
		}
		level = 7
		return nil
	}}
	job.Flags().String("mode", "default", "")
	job.Flags().StringSlice("list", []string{"a", "b,c"}, "")
	job.Flags().IntVar(&level, "level", 3, "")
	job.PersistentFlags().String("persistent", "p-default", "")
	root.AddCommand(job)
	s := New()
	s.AddCronCommand("* * * * * *", job)
	logs := &logBuffer{}
	startWithoutTimer(t, s, testEnvironment(logs, "app"))
	tick := time.Now().Truncate(time.Second)
	fire(s, 0, tick)
	fire(s, 0, tick.Add(time.Second))

	if len(seen) != 2 {
		t.Fatalf("%d runs, want 2: %v", len(seen), logs.lines(t))
	}
	want := flagsSeen{mode: "default", persistent: "p-default", baseFolder: "/srv/app", list: []string{"a", "b,c"}, level: 3}
	for i, got := range seen {
		if got.mode != want.mode || got.persistent != want.persistent || got.baseFolder != want.baseFolder ||
			!slices.Equal(got.list, want.list) || got.level != want.level || got.modeChanged || got.listChanged {
			t.Fatalf("run %d saw %+v, want %+v", i+1, got, want)
		}
	}
}

// pickyValue refuses the empty text, which is its own default: its flag cannot be reset.
type pickyValue struct{ text string }

func (v *pickyValue) String() string { return v.text }
func (v *pickyValue) Type() string   { return "picky" }
func (v *pickyValue) Set(text string) error {
	if text == "" {
		return errors.New("picky values are not empty")
	}
	v.text = text
	return nil
}

// A flag a run changed is reset before the next run; when its default does not parse back, that run fails
// with an error naming the flag. A flag at its default is left alone.
func TestAFlagThatCannotBeResetIsTheRunsError(t *testing.T) {
	picky := &pickyValue{}
	job := runnable("job", func(*cobra.Command, []string) error { return picky.Set("changed by the run") })
	job.Flags().Var(picky, "picky", "")
	s := New()
	s.AddCronCommand("* * * * * *", job)
	logs := &logBuffer{}
	startWithoutTimer(t, s, testEnvironment(logs, "app"))
	tick := time.Now().Truncate(time.Second)
	fire(s, 0, tick)
	fire(s, 0, tick.Add(time.Second))
	lines := logs.lines(t)
	if len(lines) != 2 || lines[0]["outcome"] != outcomeOK {
		t.Fatalf("lines %v: want 2, the first ok (the flag at its default is not reset)", lines)
	}
	if lines[1]["outcome"] != outcomeError || !strings.Contains(fmt.Sprint(lines[1]["error"]), "reset flag --picky") {
		t.Fatalf("second line %v: want an error naming the flag", lines[1])
	}
}

// The hooks of a command tree never run concurrently (a root hook writes a plain int: -race fails
// otherwise), while Run of different commands does.
func TestHooksAreSerializedAndRunsAreNot(t *testing.T) {
	var hooks int
	count := func(*cobra.Command, []string) { hooks++ }
	root := &cobra.Command{Use: "app", PersistentPreRun: count, PersistentPostRun: count}
	const commands, ticks = 20, 5
	var inRun sync.WaitGroup // every command's first run waits here for all the others
	inRun.Add(commands)
	rendezvous := make(chan struct{})
	go func() { inRun.Wait(); close(rendezvous) }()
	s := New()
	for i := 0; i < commands; i++ {
		var once sync.Once
		job := &cobra.Command{Use: fmt.Sprint("job-", i), PreRun: count, PostRun: count, RunE: func(*cobra.Command, []string) error {
			once.Do(inRun.Done)
			select {
			case <-rendezvous:
				return nil
			case <-time.After(30 * time.Second):
				return errors.New("the other commands' runs did not run at the same time as this one")
			}
		}}
		root.AddCommand(job)
		s.AddCronCommand("* * * * * *", job)
	}
	logs := &logBuffer{}
	startWithoutTimer(t, s, testEnvironment(logs, "app"))
	base := time.Now().Truncate(time.Second)
	var wg sync.WaitGroup
	for tick := 0; tick < ticks; tick++ {
		for entry := 0; entry < commands; entry++ {
			wg.Add(1)
			go func() { defer wg.Done(); fire(s, entry, base.Add(time.Duration(tick)*time.Second)) }()
		}
	}
	wg.Wait()
	ran := len(linesWith(t, logs, outcomeOK))
	if errs := linesWith(t, logs, outcomeError); len(errs) > 0 {
		t.Fatal(errs[0]["error"])
	}
	if ran < commands || hooks != 4*ran {
		t.Fatalf("%d runs and %d hook calls, want at least %d runs and 4 hook calls each", ran, hooks, commands)
	}
}

// Output goes to Environment.Output line by line, each line prefixed with the time, job and tick, lines of
// concurrent runs whole, and a partial last line written at the end of the run.
func TestRunOutputIsPrefixedPerLine(t *testing.T) {
	out := &logBuffer{}
	s := New()
	for _, name := range []string{"alpha", "beta"} {
		s.AddCronCommand("* * * * * *", runnable(name, func(cmd *cobra.Command, _ []string) error {
			for i := 0; i < 50; i++ {
				fmt.Fprintf(cmd.OutOrStdout(), "%s line ", name)
				fmt.Fprintf(cmd.OutOrStdout(), "%d\n%s", i, "")
			}
			fmt.Fprint(cmd.ErrOrStderr(), "oops\npartial")
			return nil
		}))
	}
	env := testEnvironment(&logBuffer{}, "app")
	env.Output = out
	startWithoutTimer(t, s, env)
	tick := time.Date(2026, 11, 28, 19, 50, 1, 0, time.UTC)
	var wg sync.WaitGroup
	for entry := 0; entry < 2; entry++ {
		wg.Add(1)
		go func() { defer wg.Done(); fire(s, entry, tick) }()
	}
	wg.Wait()

	line := regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z job=(alpha|beta) tick=2026-11-28T19:50:01Z (\| (alpha|beta) line \d+|stderr \| (oops|partial))$`)
	counts := map[string]int{}
	for _, text := range strings.Split(strings.TrimSuffix(out.buf.String(), "\n"), "\n") {
		match := line.FindStringSubmatch(text)
		if match == nil || (match[3] != "" && match[3] != match[1]) {
			t.Fatalf("output line %q is not a whole prefixed line of its own run", text)
		}
		counts[match[1]]++
	}
	if counts["alpha"] != 52 || counts["beta"] != 52 {
		t.Fatalf("line counts %v, want 52 per job (50, oops, partial)", counts)
	}
	if !bytes.HasSuffix(out.buf.Bytes(), []byte("\n")) {
		t.Fatal("the output does not end with a whole line")
	}
}
