// Package supervisor supervises the cron processes of a base folder, without cobra: their files (Files),
// starting a daemon and waiting until it is up (Start), the rule of one daemon per base folder
// (CheckOneDaemon, Acquire), taking a process's pidfile with its settings recorded (Acquire), a daemon's
// own log files (OpenChild), the settings of the running daemon that `cron restart` starts again
// (LatestDaemon), and stopping the processes (Stop). It takes values already parsed from the command
// line; its errors name the flags of the cron commands that set them.
package supervisor
