package settings

import (
	"fmt"
	"maps"
	"os"
	"slices"

	"github.com/spf13/pflag"
)

// Apply sets each flag among flags not given on the command line (not Changed) to its value in settings
// (the recorded settings of a running daemon, see Record), so that a daemon started with flags runs as
// that one did; an environment-only secret setting is set in this process's environment, which the new
// daemon inherits (see DaemonCommandLine). It returns a note per setting flags do not know (it is
// dropped), and an error naming the setting that could not be set (the settings before it are applied).
func Apply(flags *pflag.FlagSet, settings map[string]string) ([]string, error) {
	var notes []string
	env := secretEnv()
	for _, name := range slices.Sorted(maps.Keys(settings)) {
		flag := flags.Lookup(name)
		variable, isEnv := env[name]
		switch {
		case isEnv:
			if err := os.Setenv(variable, settings[name]); err != nil {
				return notes, fmt.Errorf("apply the running daemon's setting %s: %w", variable, err)
			}
		case name == "base-folder" || slices.Contains(notSettings, name):
		case flag == nil:
			notes = append(notes, fmt.Sprintf("setting --%s of the running daemon is unknown to this binary: dropped", name))
		case !flag.Changed:
			if err := flags.Set(name, settings[name]); err != nil {
				return notes, fmt.Errorf("apply the running daemon's setting --%s: %w", name, err)
			}
		}
	}
	return notes, nil
}
