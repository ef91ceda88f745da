package verify

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// Exit statuses of hadeverify.
const (
	ExitOK        = 0 // no property violated
	ExitViolation = 1 // a property is violated
	ExitFailed    = 2 // the suite itself failed
)

// Main runs hadeverify with args (without the program name) and returns its exit status. `hadeverify
// node ...` is the test app (see RunNode).
func Main(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "node" {
		if err := RunNode(args[1:]); err != nil {
			fmt.Fprintln(stderr, "hadeverify node:", err)
			return 1
		}
		return 0
	}
	if len(args) == 2 && args[0] == "check" {
		return exitStatus(recheck(args[1], stdout))(stderr)
	}
	opts, err := parseOptions(args, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "hadeverify:", err)
		return ExitFailed
	}
	return exitStatus(Verify(opts, stdout))(stderr)
}

// exitStatus returns the exit status of a checked summary (after printing err to stderr).
func exitStatus(summary *Summary, err error) func(stderr io.Writer) int {
	return func(stderr io.Writer) int {
		if err != nil {
			fmt.Fprintln(stderr, "hadeverify: the suite failed:", err)
			return ExitFailed
		}
		if len(summary.Violations) > 0 {
			return ExitViolation
		}
		return ExitOK
	}
}

// run is one verification run: its backend, its node processes and the tool's own records.
type run struct {
	opts    Options
	backend backend
	config  nodeConfig
	nodes   []*node // the current process of each node index
	all     []*node // every process started, in order
	gens    []int
	offsets []time.Duration // each node index's clock offset (fault clock-offset)
	proxies [][]*proxy      // each node index's proxies to the backend's endpoints
	kinds   []string        // the fault kinds of the plan
	tool    *recorder
	start   time.Time // the window: ticks in [start, end) are checked
	end     time.Time
}

// Verify starts the backend and the nodes, runs the nemesis's plan over opts.Duration, stops everything,
// checks the records and writes the summary and the report into opts.Out (the report also to stdout).
// It returns an error when the suite itself failed.
func Verify(opts Options, stdout io.Writer) (*Summary, error) {
	b, err := newBackend(opts.Backend)
	if err != nil {
		return nil, err
	}
	r := &run{opts: opts, backend: b, gens: make([]int, opts.Nodes), offsets: make([]time.Duration, opts.Nodes)}
	if r.kinds, err = chosenKinds(faultKinds(b), opts.Faults); err != nil {
		return nil, err
	}
	plan, err := planFaults(opts.Seed, r.kinds, opts.Nodes, opts.Hold, opts.Duration)
	if err != nil {
		return nil, err
	}
	if err := r.prepare(); err != nil {
		return nil, err
	}
	fmt.Fprintf(stdout, "hadeverify: backend %s, seed %d, %d nodes, %d+%d services, %s, %d faults planned; output in %s\n",
		opts.Backend, opts.Seed, opts.Nodes, opts.Services, opts.Slow, opts.Duration, len(plan), opts.Out)
	runErr := r.execute(plan)
	if err := r.tool.close(); err != nil {
		runErr = errors.Join(runErr, err)
	}
	if runErr != nil {
		return nil, runErr
	}
	return check(r, stdout)
}

// prepare creates the output folders, finds the node binary and starts the backend's recorder.
func (r *run) prepare() error {
	out := r.opts.Out
	if existing, _ := filepath.Glob(filepath.Join(out, "records", "*.jsonl")); len(existing) > 0 {
		return fmt.Errorf("--out %s already holds records: give a new or empty folder", out)
	}
	for _, dir := range []string{out, filepath.Join(out, "records"), filepath.Join(out, "logs")} {
		if err := mkdir(dir); err != nil {
			return err
		}
	}
	binary, err := nodeBinary(r.opts)
	if err != nil {
		return err
	}
	abs, err := filepath.Abs(out)
	if err != nil {
		return err
	}
	r.config = nodeConfig{binary: binary, dir: abs, backend: r.backend, services: r.opts.Services,
		slow: r.opts.Slow, hold: r.opts.Hold, jitter: r.opts.Jitter}
	r.tool, err = openRecorder(filepath.Join(out, "records", "tool.jsonl"))
	return err
}

// nodeBinary returns the test app's binary: --node-binary, this binary, or for --sabotage fence a build
// of this command with -tags hadesabotage (made with the go tool, from inside the module).
func nodeBinary(o Options) (string, error) {
	if o.NodeBinary != "" {
		return filepath.Abs(o.NodeBinary)
	}
	self, err := os.Executable()
	if err != nil {
		return "", err
	}
	switch {
	case o.Sabotage == "" && sabotaged:
		return "", errors.New("this binary was built with -tags hadesabotage: its fences are broken; run it with --sabotage fence")
	case o.Sabotage == "" || sabotaged:
		return self, nil
	}
	target, err := filepath.Abs(filepath.Join(o.Out, "hadeverify-sabotaged"))
	if err != nil {
		return "", err
	}
	tags := "hadesabotage"
	if clockBuild {
		tags += ",hadeclock"
	}
	build := exec.Command("go", "build", "-tags", tags, "-o", target, "github.com/hadeframe/hade/cmd/hadeverify")
	if output, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build the sabotaged test app (run from inside the hade module, or pass --node-binary "+
			"built with -tags hadesabotage): %v: %s", err, output)
	}
	return target, nil
}

// execute starts the backend and the nodes, performs the plan over the window, waits for the last runs
// and stops everything; every started process is stopped whatever fails.
func (r *run) execute(plan []plannedFault) error {
	err := r.backend.start(filepath.Join(r.config.dir, "backend"))
	defer r.backend.stop()
	if err != nil {
		return err
	}
	if r.proxies, err = startProxies(r.backend.endpoints(), len(r.gens)); err != nil {
		return err
	}
	defer stopProxies(r.proxies)
	if moving, ok := r.backend.(movingBackend); ok {
		moving.setMove(func(index int, target string) {
			for _, links := range r.proxies {
				links[index].setTarget(target)
			}
		})
	}
	for index := range r.gens {
		r.config.via = append(r.config.via, proxyAddrs(r.proxies, index))
	}
	defer r.stopNodes()
	for index := range r.gens {
		n, err := startNode(r.config, index, 0, 0)
		if err != nil {
			return err
		}
		r.nodes, r.all = append(r.nodes, n), append(r.all, n)
	}
	for _, n := range r.nodes {
		if err := n.waitReady(60 * time.Second); err != nil {
			return err
		}
	}
	r.start = time.Now().Truncate(time.Second).Add(2 * time.Second)
	r.end = r.start.Add(r.opts.Duration)
	m := nemesis{run: r}
	for _, p := range plan {
		time.Sleep(time.Until(r.start.Add(p.at)))
		f, err := m.perform(p)
		r.tool.write(f)
		if err != nil {
			return fmt.Errorf("fault %s: %w", p.kind, err)
		}
	}
	time.Sleep(time.Until(r.end.Add(r.opts.Hold + slowRun + time.Second)))
	return nil
}

// restartNode starts the next generation of node index and waits until it is up.
func (r *run) restartNode(index int) error {
	r.gens[index]++
	n, err := startNode(r.config, index, r.gens[index], r.offsets[index])
	if err != nil {
		return err
	}
	r.nodes[index], r.all = n, append(r.all, n)
	return n.waitReady(30 * time.Second)
}

// stopNodes stops the nodes still running (SIGINT) and writes every node's record.
func (r *run) stopNodes() {
	for _, n := range r.all {
		if n.record.Result == "" {
			_ = n.signalAndWait(syscall.SIGINT, endStopped, 20*time.Second)
		}
		r.tool.write(n.record)
	}
}
