package settings

import (
	"os"
	"slices"
	"strings"

	"github.com/spf13/pflag"
)

// DaemonCommandLine returns the command line (after the program name) and the whole environment of a
// `cron start -d` daemon that runs with the flags set among flags: each set flag but those of stop and
// restart goes on the command line as --name=value, but a secret one (see secretFlags: a backend's
// setting, the token, the webhooks), whose value goes in the environment variable of that flag (replacing
// this process's); --base-folder=baseFolder ends it. The environment is this process's otherwise.
func DaemonCommandLine(flags *pflag.FlagSet, baseFolder string) (args, env []string) {
	args = []string{"cron", "start", "--daemon"}
	overrides := map[string]string{}
	secrets := secretFlags()
	flags.Visit(func(flag *pflag.Flag) {
		variable, isSecret := secrets[flag.Name]
		switch {
		case isSecret:
			overrides[variable] = flagValue(flag)
		case flag.Name == "base-folder", flag.Name != "allow-another-daemon" && slices.Contains(notSettings, flag.Name):
		default:
			args = append(args, "--"+flag.Name+"="+flagValue(flag))
		}
	})
	args = append(args, "--base-folder="+baseFolder)
	for _, variable := range os.Environ() {
		name, _, _ := strings.Cut(variable, "=")
		if _, overridden := overrides[name]; !overridden {
			env = append(env, variable)
		}
	}
	for name, value := range overrides {
		env = append(env, name+"="+value)
	}
	return args, env
}
