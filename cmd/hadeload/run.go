package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hadeframe/hade/internal/etcdserver"
	"github.com/hadeframe/hade/internal/pgserver"
	"github.com/hadeframe/hade/internal/redisserver"
)

// loadOptions are the flags of `hadeload run`.
type loadOptions struct {
	nodes, jobs    int
	duration, hold time.Duration
	jobDuration    time.Duration
	backend        string
	redisURL       string
	killAt         time.Duration
	termAt         time.Duration
	rollingAt      time.Duration
	rollingPause   time.Duration
	restartRedisAt time.Duration
	redisDown      time.Duration
	killLeaderAt   time.Duration // -kill-etcd-leader-at: killMemberAt with killMember "leader"
	killMemberAt   time.Duration
	killMember     string // "leader", "follower" or a member's index
	etcdCompaction string
	keep           bool
}

func parseLoadOptions(args []string) (loadOptions, error) {
	var o loadOptions
	flags := flag.NewFlagSet("hadeload run", flag.ContinueOnError)
	flags.IntVar(&o.nodes, "nodes", 3, "node processes")
	flags.IntVar(&o.jobs, "jobs", 100, "distributed every-second jobs per node (the same jobs on every node)")
	flags.DurationVar(&o.duration, "duration", 30*time.Second, "length of the measured window (whole seconds, at least 5s)")
	flags.DurationVar(&o.hold, "hold", 2*time.Second, "hold time of every job")
	flags.DurationVar(&o.jobDuration, "job-duration", 0, "how long each run of a job takes (it returns early when its context ends); 0: instant")
	flags.StringVar(&o.backend, "backend", "redis", "selection backend: redis, etcd (a 3-member cluster it starts), postgres (a cluster it starts) or local")
	flags.StringVar(&o.backend, "distributed", "redis", "the same as -backend")
	flags.StringVar(&o.etcdCompaction, "etcd-compaction", "", "with -backend etcd: the members' periodic --auto-compaction-retention, e.g. 1m (default: none)")
	flags.DurationVar(&o.killLeaderAt, "kill-etcd-leader-at", 0, "with -backend etcd: kill -9 the cluster's leader this long into the window (0: never); the same as -kill-etcd-member-at with -kill-etcd-member leader")
	flags.DurationVar(&o.killMemberAt, "kill-etcd-member-at", 0, "with -backend etcd: kill -9 the member -kill-etcd-member this long into the window (0: never)")
	flags.StringVar(&o.killMember, "kill-etcd-member", "leader", "with -kill-etcd-member-at: the member to kill: leader, follower (the first member that does not lead) or its index, 0 to 2")
	flags.StringVar(&o.redisURL, "redis-url", "", "with -backend redis: use this Redis instead of starting a redis-server")
	flags.DurationVar(&o.killAt, "kill-at", 0, "kill -9 node 0 this long into the window (0: never)")
	flags.DurationVar(&o.termAt, "term-at", 0, "SIGTERM node 0 this long into the window and wait for it to exit (0: never)")
	flags.DurationVar(&o.rollingAt, "rolling-restart-at", 0, "this long into the window, restart every node one by one: SIGTERM, wait for the exit, start again, wait until it is up (0: never)")
	flags.DurationVar(&o.rollingPause, "rolling-pause", 1300*time.Millisecond, "with -rolling-restart-at: the wait between a node being up and the SIGTERM of the next")
	flags.DurationVar(&o.restartRedisAt, "restart-redis-at", 0, "stop the started redis-server this long into the window, restart it after -redis-down (0: never)")
	flags.DurationVar(&o.redisDown, "redis-down", 3*time.Second, "how long Redis stays down with -restart-redis-at")
	flags.BoolVar(&o.keep, "keep", false, "keep the run's folder (node logs, Redis log) and print its path")
	if err := flags.Parse(args); err != nil {
		return o, err
	}
	if err := o.checkMemberKill(); err != nil {
		return o, err
	}
	switch {
	case o.nodes < 1 || o.jobs < 1:
		return o, errors.New("-nodes and -jobs must be at least 1")
	case o.jobDuration < 0 || o.jobDuration >= time.Second:
		return o, fmt.Errorf("-job-duration %s: want 0 or more, under the 1s between ticks", o.jobDuration)
	case o.duration < 5*time.Second || o.duration%time.Second != 0:
		return o, fmt.Errorf("-duration %s: want whole seconds, at least 5s", o.duration)
	case o.backend != "redis" && o.backend != "local" && o.backend != "etcd" && o.backend != "postgres":
		return o, fmt.Errorf("-backend %q: want redis, etcd, postgres or local", o.backend)
	case disruptions(o) > 1:
		return o, errors.New("-kill-at, -term-at, -rolling-restart-at, -restart-redis-at and -kill-etcd-member-at: choose one")
	case o.killAt != 0 && (o.nodes < 2 || o.killAt >= o.duration-2*time.Second):
		return o, errors.New("-kill-at needs at least 2 nodes and a time at least 2s before the end of the window")
	case o.termAt != 0 && (o.nodes < 2 || o.termAt >= o.duration-2*time.Second):
		return o, errors.New("-term-at needs at least 2 nodes and a time at least 2s before the end of the window")
	case o.rollingAt != 0 && o.nodes < 2:
		return o, errors.New("-rolling-restart-at needs at least 2 nodes")
	case o.restartRedisAt != 0 && (o.backend != "redis" || o.redisURL != ""):
		return o, errors.New("-restart-redis-at needs -backend redis and the redis-server hadeload starts (no -redis-url)")
	case o.restartRedisAt != 0 && o.restartRedisAt+o.redisDown >= o.duration-3*time.Second:
		return o, errors.New("-restart-redis-at plus -redis-down must end at least 3s before the end of the window")
	}
	return o, nil
}

// disruptions counts the disruptions o asks for.
func disruptions(o loadOptions) int {
	n := 0
	for _, at := range []time.Duration{o.killAt, o.termAt, o.rollingAt, o.restartRedisAt, o.killMemberAt} {
		if at != 0 {
			n++
		}
	}
	return n
}

// runLoad is `hadeload run`.
func runLoad(args []string) error {
	options, err := parseLoadOptions(args)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "hadeload-")
	if err != nil {
		return err
	}
	if options.keep {
		fmt.Printf("keeping %s\n", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}

	nodeArgs := []string{"--base-folder", dir, "--distributed", options.backend}
	var server *redisserver.Server
	var stats *redis.Client
	var cpu *serverCPU // the CPU of the server hadeload starts, nil with -redis-url or -backend local
	if options.backend == "redis" {
		url := options.redisURL
		if url == "" {
			if err := os.Mkdir(filepath.Join(dir, "redis"), 0o700); err != nil {
				return err
			}
			if server, err = redisserver.Start(filepath.Join(dir, "redis"), ""); err != nil {
				return err
			}
			defer server.Stop()
			url = server.URL()
			cpu = &serverCPU{name: "redis-server", pids: func() []int { return []int{server.Pid()} }}
		}
		redisOptions, err := redis.ParseURL(url)
		if err != nil {
			return fmt.Errorf("-redis-url: %w", err)
		}
		stats = redis.NewClient(redisOptions)
		defer stats.Close()
		prefix := fmt.Sprintf("hadeload:%d:", time.Now().UnixNano()) // runs against one Redis do not mix
		nodeArgs = append(nodeArgs, "--redis-url", url, "--redis-prefix", prefix)
	}
	var cluster *etcdserver.Cluster
	if options.backend == "etcd" {
		etcdOptions := etcdserver.Options{Members: 3}
		if options.etcdCompaction != "" {
			etcdOptions.Args = []string{"--auto-compaction-mode=periodic", "--auto-compaction-retention=" + options.etcdCompaction}
		}
		if cluster, err = etcdserver.Start(filepath.Join(dir, "etcd"), etcdOptions); err != nil {
			return err
		}
		defer cluster.Stop()
		nodeArgs = append(nodeArgs, "--etcd-endpoints", cluster.Endpoints())
		cpu = &serverCPU{name: fmt.Sprintf("etcd (%d members)", len(cluster.Members)), pids: func() []int {
			var pids []int
			for _, member := range cluster.Members {
				pids = append(pids, member.Pid())
			}
			return pids
		}}
	}
	var postgres *pgserver.Server
	if options.backend == "postgres" {
		if postgres, err = startPostgres(dir); err != nil {
			return err
		}
		defer postgres.Stop()
		nodeArgs = append(nodeArgs, "--postgres-url", postgres.URL())
		cpu = &serverCPU{name: "postgres (postmaster and its children)", pids: func() []int { return []int{postgres.Pid()} }}
	}
	nodeArgs = append(nodeArgs, "cron", "start", "--drain-timeout", "5s")

	run := &loadRun{options: options, start: func(index, generation int) (*nodeProcess, error) {
		return startNode(self, dir, index, generation, options, nodeArgs)
	}}
	defer func() {
		for _, n := range run.processes {
			n.stop(10 * time.Second)
		}
	}()
	for i := 0; i < options.nodes; i++ {
		if _, err := run.startNode(i, 0); err != nil {
			return err
		}
	}
	for _, n := range run.nodes {
		if err := n.waitStarted(60 * time.Second); err != nil {
			return err
		}
	}

	run.windowStart = time.Now().Truncate(time.Second).Add(2 * time.Second)
	run.windowEnd = run.windowStart.Add(options.duration)
	run.cluster = cluster
	run.postgres = postgres
	run.server = cpu
	if err := run.measure(server, stats); err != nil {
		return err
	}
	for _, n := range run.processes {
		n.stop(30 * time.Second)
		if err := n.readLog(); err != nil {
			return err
		}
	}
	return run.report(os.Stdout)
}

// loadRun is one measured run: the window of ticks [windowStart, windowEnd), what happened in it.
type loadRun struct {
	options loadOptions
	start   func(index, generation int) (*nodeProcess, error)
	// nodes are the node processes running now, by index; processes all those started, in order.
	nodes, processes       []*nodeProcess
	windowStart, windowEnd time.Time
	// disruption is when a node was killed or stopped, nodes were restarted (from the first SIGTERM to the
	// last node up again), or Redis was down (from stop to answering again).
	disruptionStart, disruptionEnd time.Time
	disruption                     string
	grace                          time.Duration // ticks up to this long after the disruption are "around" it (0: defaultGrace)
	commands                       int64         // Redis commands over the window, -1 without Redis
	cluster                        *etcdserver.Cluster
	requests                       etcdRequests // etcd requests over the window by method, nil without etcd
	dbSizes                        []string
	postgres                       *pgserver.Server
	postgresCounts                 *postgresCounts // the server's counters over the window, nil without PostgreSQL
	server                         *serverCPU      // the CPU of the server hadeload started, nil without one
}

// event is something measure does at a time.
type event struct {
	at time.Time
	do func() error
}

// measure performs the run's events in time order: command counters around the window, the kill or the
// Redis restart, and waits for the last ticks' lines.
func (r *loadRun) measure(server *redisserver.Server, stats *redis.Client) error {
	r.commands = -1
	var before, after, beforeRestart int64
	events := []event{{at: r.windowEnd.Add(1500 * time.Millisecond), do: func() error { return nil }}}
	if stats != nil {
		events = append(events,
			event{at: r.windowStart.Add(-500 * time.Millisecond), do: func() (err error) { before, err = commandCount(stats); return err }},
			event{at: r.windowEnd.Add(-500 * time.Millisecond), do: func() (err error) { after, err = commandCount(stats); return err }},
		)
	}
	if r.options.killAt > 0 {
		events = append(events, event{at: r.windowStart.Add(r.options.killAt), do: func() error {
			r.disruption = "node 0 killed with SIGKILL"
			r.disruptionStart = time.Now()
			err := r.nodes[0].kill()
			r.disruptionEnd = r.disruptionStart
			return err
		}})
	}
	events = append(events, r.gracefulEvents()...)
	if r.options.restartRedisAt > 0 {
		events = append(events, event{at: r.windowStart.Add(r.options.restartRedisAt), do: func() error {
			r.disruption = fmt.Sprintf("Redis stopped for %s, restarted empty", r.options.redisDown)
			beforeRestart, _ = commandCount(stats) // the restart resets the counters
			r.disruptionStart = time.Now()
			server.Stop()
			time.Sleep(r.options.redisDown)
			err := server.Restart()
			r.disruptionEnd = time.Now()
			return err
		}})
	}
	events = append(events, r.etcdEvents()...)
	events = append(events, r.postgresEvents()...)
	events = append(events, r.serverCPUEvents()...)
	slices.SortFunc(events, func(a, b event) int { return a.at.Compare(b.at) })
	for _, e := range events {
		time.Sleep(time.Until(e.at))
		if err := e.do(); err != nil {
			return err
		}
	}
	if stats != nil {
		r.commands = after - before
		if r.options.restartRedisAt > 0 {
			r.commands = beforeRestart - before + after
		}
	}
	return nil
}

// isScriptCommand reports whether a commandstats entry is a command the claim script runs inside Redis:
// Redis counts them too, but they are not round trips.
func isScriptCommand(name string) bool {
	switch name {
	case "cmdstat_time", "cmdstat_hmget", "cmdstat_hset", "cmdstat_persist", "cmdstat_pexpireat", // claims
		"cmdstat_zadd", "cmdstat_zscore", "cmdstat_zremrangebyscore", "cmdstat_zremrangebyrank", // history
		"cmdstat_pexpire", "cmdstat_hget", "cmdstat_hdel", "cmdstat_zrangebyscore", "cmdstat_zrevrangebyscore",
		"cmdstat_set", "cmdstat_pttl", "cmdstat_smembers": // and heartbeats (smembers: the paused jobs)
		return true
	}
	return false
}

// commandCount returns the calls of the commands clients sent to Redis: all commands but INFO (ours) and
// those the claim script runs inside Redis.
func commandCount(client *redis.Client) (int64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	text, err := client.Info(ctx, "commandstats").Result()
	if err != nil {
		return 0, fmt.Errorf("INFO commandstats: %w", err)
	}
	var total int64
	for _, line := range strings.Split(text, "\n") {
		name, rest, found := strings.Cut(strings.TrimSpace(line), ":calls=")
		if !found || name == "cmdstat_info" || isScriptCommand(name) {
			continue
		}
		calls, _, _ := strings.Cut(rest, ",")
		n, err := strconv.ParseInt(calls, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("INFO commandstats line %q: %w", line, err)
		}
		total += n
	}
	return total, nil
}

// tail returns the end of a node's stderr file for error messages.
func tail(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	return string(data[max(0, len(data)-2000):])
}
