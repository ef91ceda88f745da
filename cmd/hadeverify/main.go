// Command hadeverify proves hade's distributed-cron guarantee under faults: it starts a backend (local
// files or a private redis-server) and N node processes of a test app running `cron start`, injects
// faults from a seeded plan (kill -9, SIGSTOP, rolling restarts, backend restarts and pauses), records
// every claim and run, and checks the history: at most once, a linearizable fence (porcupine), never
// stale, liveness, and that faults happened. Exit 0: no violation; 1: a property is violated; 2: the
// suite failed. See docs/verification.md.
//
//	hadeverify --backend local|redis|etcd --duration 60s --seed N [--nodes 3] [--services 50] --out DIR
//	hadeverify check DIR   # check the records of an earlier run again, with this build's checker
package main

import (
	"os"

	"github.com/hadeframe/hade/internal/verify"
)

func main() {
	os.Exit(verify.Main(os.Args[1:], os.Stdout, os.Stderr))
}
