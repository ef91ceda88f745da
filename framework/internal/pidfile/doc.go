// Package pidfile keeps the pidfiles of the processes of one kind (e.g. cron) that share a base folder, and
// stops those processes; framework/internal/supervisor uses it for `cron start`, `stop` and `restart`,
// framework/command for `cron state`.
//
// A Folder keeps the pidfiles of the processes of one kind, one per process: <folder>/<prefix>.<pid>.pid.
// A process holds an exclusive flock on its pidfile while it runs; liveness is that lock, never kill(pid,
// 0), which a reused pid or a zombie would also answer. Creating, listing and removing stale pidfiles
// happen under a folder lock (<folder>/<prefix>.lock), so a pidfile is never seen half-written and never
// removed while its process is taking it. A pidfile records the pid namespace and the boot of its process:
// a pid means nothing in another namespace or boot (see Entry.Foreign). Next to a pidfile, an owner-only
// file may keep what the process must not show to the group (see AcquireOptions.Private).
package pidfile
