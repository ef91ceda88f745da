package verify

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"time"
)

// Options are the flags of hadeverify.
type Options struct {
	Backend    string
	Duration   time.Duration
	Seed       uint64
	Nodes      int
	Services   int // instant every-second services
	Slow       int // slow every-second services: each run takes 1.5s
	Hold       time.Duration
	Jitter     time.Duration // WithJitter of every third instant service; 0: none
	Out        string
	Sabotage   string // "" or "fence"
	Faults     string // comma-separated fault kinds the nemesis mixes; "" for every kind of the backend
	NodeBinary string // the test app's binary; default this binary (or a sabotaged build of it)
}

// parseOptions parses the command line; a missing --seed is drawn at random (and printed by the report).
func parseOptions(args []string, stderr io.Writer) (Options, error) {
	var o Options
	flags := flag.NewFlagSet("hadeverify", flag.ContinueOnError)
	flags.SetOutput(stderr)
	flags.StringVar(&o.Backend, "backend", "", "backend under test: local, redis, etcd or postgres")
	flags.DurationVar(&o.Duration, "duration", 60*time.Second, "length of the checked window of ticks, whole seconds")
	flags.Uint64Var(&o.Seed, "seed", 0, "seed of the nemesis's plan (0 or none: a fresh one, printed)")
	flags.IntVar(&o.Nodes, "nodes", 3, "node processes")
	flags.IntVar(&o.Services, "services", 50, "instant every-second distributed services")
	flags.IntVar(&o.Slow, "slow", 3, "slow every-second distributed services (runs of 1.5s)")
	flags.DurationVar(&o.Hold, "hold", time.Second, "hold time of every service")
	flags.DurationVar(&o.Jitter, "jitter", 300*time.Millisecond, "WithJitter of every third instant service (0: none)")
	flags.StringVar(&o.Out, "out", "", "folder for the records, logs, summary.json and report (created; must not hold records)")
	flags.StringVar(&o.Sabotage, "sabotage", "", `"fence": run nodes built with -tags hadesabotage, whose backends skip the fence comparison`)
	flags.StringVar(&o.Faults, "faults", "", "comma-separated fault kinds to mix (default: every kind the backend has)")
	flags.StringVar(&o.NodeBinary, "node-binary", "", "the test app's binary (default: this one, or for --sabotage a build of it)")
	if err := flags.Parse(args); err != nil {
		return o, err
	}
	if o.Seed == 0 {
		o.Seed = rand.Uint64()>>12 + 1 // short enough to type
	}
	switch {
	case flags.NArg() > 0:
		return o, fmt.Errorf("unexpected arguments %q: every setting is a flag", flags.Args())
	case o.Backend == "":
		return o, fmt.Errorf("--backend is required: one of %q", backendNames)
	case o.Out == "":
		return o, errors.New("--out is required: a folder for the records and the report")
	case o.Nodes < 2 || o.Nodes > 20:
		return o, fmt.Errorf("--nodes %d: want 2 to 20", o.Nodes)
	case o.Services < 1 || o.Slow < 0 || o.Services+o.Slow > 2000:
		return o, fmt.Errorf("--services %d --slow %d: want at least 1 service, at most 2000 in all", o.Services, o.Slow)
	case o.Hold < 200*time.Millisecond || o.Hold > 5*time.Second:
		return o, fmt.Errorf("--hold %s: want 200ms to 5s", o.Hold)
	case o.Jitter < 0 || o.Jitter >= time.Second:
		return o, fmt.Errorf("--jitter %s: want 0 (none) up to below 1s, the services' interval", o.Jitter)
	case o.Duration < 10*time.Second || o.Duration%time.Second != 0:
		return o, fmt.Errorf("--duration %s: want whole seconds, at least 10s", o.Duration)
	case o.Sabotage != "" && o.Sabotage != "fence":
		return o, fmt.Errorf(`--sabotage %q: the only sabotage is "fence"`, o.Sabotage)
	}
	return o, nil
}
