// Package daemon runs a program as a daemon: Start starts this executable again in the background and
// returns once the daemon is up, IsStarted and CompleteStart are the daemon's side of that start, the
// signals stop a process or make a daemon reopen its log files, Logs are a daemon's rotated log files, and
// NotifyReady and NotifyStopping speak systemd's readiness protocol. It knows no command line: callers
// name their own flags in what they print.
//
// Cron's pidfiles, and stopping the processes that hold them, are in framework/internal/pidfile.
package daemon
