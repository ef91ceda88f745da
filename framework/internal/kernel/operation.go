package kernel

import (
	"os"
	"strings"

	"github.com/spf13/cobra"
)

// AnnotationOperation is the cobra annotation (any value) of an operations command: one that controls
// running processes and never runs a job (e.g. `cron stop`), so it runs even when cron registrations are
// invalid, with the registration errors as a warning on stderr. help, --help and completion run so too.
const AnnotationOperation = "hade.operation"

// SetArgs sets the command line Execute runs instead of os.Args[1:], as cobra.Command.SetArgs does.
func (r *Root) SetArgs(args []string) {
	r.args = args
	r.Command.SetArgs(args)
}

// runsWithInvalidRegistrations reports whether the command line asks for an operations command, help or
// shell completion, or names a command that only prints its help; and whether to warn (not while a shell
// completes a word: its stderr is the terminal).
func (r *Root) runsWithInvalidRegistrations() (run, warn bool) {
	args := r.args
	if args == nil {
		args = os.Args[1:]
	}
	if len(args) > 0 && strings.HasPrefix(args[0], cobra.ShellCompRequestCmd) {
		return true, false // `__complete` and `__completeNoDesc`, which shell completion scripts run
	}
	return r.isOperation(args), true
}

func (r *Root) isOperation(args []string) bool {
	for _, arg := range args {
		if arg == "--" {
			break
		}
		if arg == "--help" || arg == "-h" {
			return true
		}
	}
	r.markCobraCommands(args)
	target, _, err := r.Find(args)
	if err != nil || target == nil {
		return false
	}
	return target.Annotations[AnnotationOperation] != "" || !target.Runnable() // not runnable: prints help
}

// markCobraCommands creates cobra's help and completion commands now (cobra would when executing) and
// marks them as operations.
func (r *Root) markCobraCommands(args []string) {
	r.InitDefaultHelpCmd()
	r.InitDefaultCompletionCmd(args...)
	for _, command := range r.Commands() {
		if command.Name() != "help" && command.Name() != "completion" {
			continue
		}
		for _, c := range append([]*cobra.Command{command}, command.Commands()...) {
			if c.Annotations == nil {
				c.Annotations = map[string]string{}
			}
			c.Annotations[AnnotationOperation] = "cobra"
		}
	}
}
