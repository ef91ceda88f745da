package settings

import (
	"os"
	"slices"
	"strings"

	"github.com/spf13/pflag"
)

// notSettings are flags that say what to do now rather than how a process runs: they are not recorded as
// a process's settings, and those of stop/restart are not passed to a daemon.
var notSettings = []string{"help", "daemon", "allow-another-daemon", "ready-timeout", "timeout", "pid"}

// Record returns the effective value of every setting among flags (a command's flags, the persistent
// ones included: from the command line, the environment or the default) by flag name, secrets in full:
// base-folder, when among flags, is baseFolder (absolute); a secret flag of start's own left empty takes
// its environment variable (a backend's flag has its variable as default already); an environment-only
// secret setting that is set is included (see secretEnv).
func Record(flags *pflag.FlagSet, baseFolder string) map[string]string {
	settings := map[string]string{}
	flags.VisitAll(func(flag *pflag.Flag) {
		if !slices.Contains(notSettings, flag.Name) {
			settings[flag.Name] = flagValue(flag)
		}
	})
	if _, ok := settings["base-folder"]; ok {
		settings["base-folder"] = baseFolder
	}
	for name, variable := range secretEnv() {
		if value := os.Getenv(variable); value != "" {
			settings[name] = value
		}
	}
	for name, variable := range ownSecretFlags { // a secret flag left empty (help shows no default) takes its env
		if value, isFlag := settings[name]; isFlag && value == "" {
			settings[name] = os.Getenv(variable)
		}
	}
	return settings
}

// flagValue returns a flag's value as its Set accepts it back (a list as comma-separated items).
func flagValue(flag *pflag.Flag) string {
	if list, ok := flag.Value.(pflag.SliceValue); ok {
		return strings.Join(list.GetSlice(), ",")
	}
	return flag.Value.String()
}
