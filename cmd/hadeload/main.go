// Command hadeload measures hade's distributed cron under load: `hadeload run` starts N node processes of a
// small bench app, each registering M distributed every-second jobs with instant bodies, against one
// backend (a local folder, a redis-server it starts, a Redis it is pointed at, a 3-member etcd cluster it
// starts, or a PostgreSQL cluster it starts), runs them for a while, optionally kills a node, restarts Redis
// or kills an etcd member, and prints one table: expected, executed, doubled and missed ticks, start
// lateness, CPU and memory per node, the CPU of the server it started over the window, and Redis commands, etcd requests (by method) or PostgreSQL
// transactions and function calls per executed tick.
//
// `hadeload compare` measures hade beside robfig/cron bare: one process of each, one after the other, with
// the same normal every-second jobs, and prints their CPU per run, start lateness and peak RSS, and the
// ratios hade/robfig against the targets of the issue "the cost".
//
// `hadeload node` is the bench app itself, `hadeload hade-node` and `hadeload robfig-node` the two sides of
// the comparison: the load tool runs its own binary in those modes.
package main

import (
	"fmt"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: hadeload run [flags] | hadeload compare [flags] | "+
			"hadeload node <hade flags> cron start | hadeload hade-node <hade flags> cron start | "+
			"hadeload robfig-node (see hadeload run -h, hadeload compare -h)")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "run":
		err = runLoad(os.Args[2:])
	case "node":
		err = runNode(os.Args[2:])
	case "compare":
		err = runCompare(os.Args[2:])
	case "hade-node":
		err = runHadeNode(os.Args[2:])
	case "robfig-node":
		err = runRobfigNode()
	default:
		err = fmt.Errorf("unknown mode %q: use run, compare, node, hade-node or robfig-node", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "hadeload:", err)
		os.Exit(1)
	}
}
