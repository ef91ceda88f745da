package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"time"
)

// compareOptions are the flags of `hadeload compare`.
type compareOptions struct {
	jobs             int
	duration, warmup time.Duration
	keep             bool
}

func parseCompareOptions(args []string) (compareOptions, error) {
	var o compareOptions
	flags := flag.NewFlagSet("hadeload compare", flag.ContinueOnError)
	flags.IntVar(&o.jobs, "jobs", 10000,
		"normal every-second jobs with instant bodies, the same for both libraries")
	flags.DurationVar(&o.duration, "duration", 20*time.Second,
		"length of each library's measured window (whole seconds, at least 2s)")
	flags.DurationVar(&o.warmup, "warmup", 3*time.Second,
		"how long each node runs its jobs, once up, before its window starts (at least 1s)")
	flags.BoolVar(&o.keep, "keep", false,
		"keep the run's folder (the two nodes' logs, hade's base folder) and print its path")
	if err := flags.Parse(args); err != nil {
		return o, err
	}
	switch {
	case flags.NArg() > 0:
		return o, fmt.Errorf("unexpected arguments %q", flags.Args())
	case o.jobs < 1:
		return o, errors.New("-jobs must be at least 1")
	case o.duration < 2*time.Second || o.duration%time.Second != 0:
		return o, fmt.Errorf("-duration %s: want whole seconds, at least 2s", o.duration)
	case o.warmup < time.Second:
		return o, fmt.Errorf("-warmup %s: want at least 1s", o.warmup)
	}
	return o, nil
}

// library is one side of the comparison: its name and the command line of its node (a mode of this tool).
type library struct {
	name string
	args []string
}

// compareLibraries returns hade (`cron start` in the foreground, base folder dir, its JSON log to a file as
// any node's) and robfig/cron bare, in the order they run.
func compareLibraries(dir string) []library {
	return []library{
		{"hade", []string{"hade-node", "--base-folder", dir, "cron", "start", "--drain-timeout", "5s"}},
		{"robfig", []string{"robfig-node"}},
	}
}

// runCompare is `hadeload compare`: it measures each library alone, one after the other, and prints the
// comparison.
func runCompare(args []string) error {
	o, err := parseCompareOptions(args)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "hadeload-compare-")
	if err != nil {
		return err
	}
	if o.keep {
		fmt.Printf("keeping %s\n", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	var summaries []librarySummary
	for _, lib := range compareLibraries(dir) {
		summary, err := measureLibrary(self, dir, lib, o)
		if err != nil {
			return err
		}
		summaries = append(summaries, summary)
	}
	return writeComparison(os.Stdout, o, summaries[0], summaries[1])
}

// measureLibrary runs lib's node alone with o's jobs: once it is up and has run for the warm-up, the window
// is the next o.duration of whole seconds; the node takes a usage mark 500 ms before the window's first
// tick and 500 ms before the tick after its last (between two ticks' runs), and is stopped with SIGINT
// 1.5 s after the window, when the runs of its last tick have started. The tool does nothing else while
// the node runs; it reads the node's log after the node exited.
func measureLibrary(self, dir string, lib library, o compareOptions) (librarySummary, error) {
	seconds := int((o.warmup + o.duration).Seconds()) + 10 // the robfig node's room for runs, with a margin
	env := append(os.Environ(), envJobs+"="+strconv.Itoa(o.jobs), envSeconds+"="+strconv.Itoa(seconds))
	n, err := spawn(self, dir, lib.name, lib.args, env)
	if err != nil {
		return librarySummary{}, err
	}
	defer n.stop(10 * time.Second) // when it failed before its stop below
	if err := n.waitStarted(60 * time.Second); err != nil {
		return librarySummary{}, err
	}
	from := time.Now().Add(o.warmup).Truncate(time.Second).Add(time.Second)
	to := from.Add(o.duration)
	for _, at := range []time.Time{from.Add(-500 * time.Millisecond), to.Add(-500 * time.Millisecond)} {
		time.Sleep(time.Until(at))
		if err := n.mark(); err != nil {
			return librarySummary{}, err
		}
	}
	time.Sleep(time.Until(to.Add(1500 * time.Millisecond)))
	n.stop(30 * time.Second)
	if n.waitErr != nil {
		return librarySummary{}, fmt.Errorf("%s node exited with %v: %s", lib.name, n.waitErr, tail(n.stderr))
	}
	if err := n.readLog(); err != nil {
		return librarySummary{}, err
	}
	s, err := summarize(lib.name, n.runs, n.marks, o.jobs, from.Unix(), to.Unix()-1)
	s.recordsLost = n.recordsLost
	return s, err
}
