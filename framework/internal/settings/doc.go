// Package settings is what the settings of a cron process are as data, without cobra: which flags are
// settings and which of them (or of the environment) are secret; their effective values, recorded in a
// process's pidfile redacted and in a daemon's owner-only file in full; the command line and environment of
// a daemon started with them (secrets in the environment only); applying a running daemon's settings to
// the flags of `cron restart`; and the line that describes them. It reads flags from a *pflag.FlagSet.
package settings
