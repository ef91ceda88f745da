package scheduler

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
	"sync"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// PanicError is the error a run returns when the command panicked; the process lives on.
type PanicError struct {
	Value any    // what was passed to panic
	Stack string // the stack of the panicking goroutine
}

func (e *PanicError) Error() string { return fmt.Sprintf("panic: %v", e.Value) }

// commandRunner runs cobra commands in-process the way `<app> <command path>` with no arguments would
// from the CLI, on the command itself (never a copy: a copy by value keeps its parent, so executing it
// re-runs the root on os.Args, and copies share one flag set). cobra keeps a command's flag set and
// context inside the command, so runs of one command are serialized (a per-command lock), and the flag
// merging step, which also writes the parents' flag sets, is serialized across all commands. The empty
// command line is parsed on a command's first run only: parsing it again would change nothing.
type commandRunner struct {
	flagMu sync.Mutex

	mu       sync.Mutex
	commands map[*cobra.Command]*commandState
}

// commandState is what the runner keeps per command; the other fields are guarded by lock.
type commandState struct {
	lock        chan struct{} // room for one holder
	flagsParsed bool
	// flagChecks is whether any flag carries an annotation: without one there is no required flag nor
	// flag group, and cobra's checks of them would find nothing.
	flagChecks bool
}

func newCommandRunner() *commandRunner {
	return &commandRunner{commands: map[*cobra.Command]*commandState{}}
}

// stateOf returns cmd's state, made on first use.
func (r *commandRunner) stateOf(cmd *cobra.Command) *commandState {
	r.mu.Lock()
	defer r.mu.Unlock()
	state, ok := r.commands[cmd]
	if !ok {
		state = &commandState{lock: make(chan struct{}, 1)}
		r.commands[cmd] = state
	}
	return state
}

// run executes cmd with ctx as its Context() and no arguments: flags parsed from an empty command line
// (so at their defaults), args validated, then the hooks in cobra's order: the persistent pre-run of the
// nearest parent that has one (of all parents when cobra.EnableTraverseRunHooks is set), PreRun, the
// required-flag and flag-group checks, Run, PostRun and the persistent post-run. cobra.OnInitialize
// functions are not run again. It waits for a run of the same command already going on (returning ctx's
// error if ctx ends first) and returns the command's error, or a *PanicError if it panicked.
func (r *commandRunner) run(ctx context.Context, cmd *cobra.Command) (err error) {
	state := r.stateOf(cmd)
	select {
	case state.lock <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("command %q was still busy with another entry's run when the scheduler stopped: %w", cmd.Name(), ctx.Err())
	}
	defer func() { <-state.lock }()
	defer func() {
		if recovered := recover(); recovered != nil {
			err = &PanicError{Value: recovered, Stack: string(debug.Stack())}
		}
	}()

	if !state.flagsParsed {
		r.flagMu.Lock()
		err = cmd.ParseFlags([]string{})
		r.flagMu.Unlock()
		if err != nil {
			return fmt.Errorf("parse flags of %q: %w", cmd.Name(), err)
		}
		state.flagsParsed = true
		cmd.Flags().VisitAll(func(flag *pflag.Flag) { state.flagChecks = state.flagChecks || len(flag.Annotations) > 0 })
	}
	cmd.SetContext(ctx)
	args := cmd.Flags().Args()
	if err := cmd.ValidateArgs(args); err != nil {
		return err
	}
	parents := lineage(cmd) // nearest first; pre-run hooks go root first when all of them run
	if cobra.EnableTraverseRunHooks {
		slices.Reverse(parents)
	}
	if err := runPersistentHooks(cmd, args, parents, persistentPreRun); err != nil {
		return err
	}
	if cmd.PreRunE != nil {
		if err := cmd.PreRunE(cmd, args); err != nil {
			return err
		}
	} else if cmd.PreRun != nil {
		cmd.PreRun(cmd, args)
	}
	if state.flagChecks {
		if err := cmd.ValidateRequiredFlags(); err != nil {
			return err
		}
		if err := cmd.ValidateFlagGroups(); err != nil {
			return err
		}
	}
	switch {
	case cmd.RunE != nil:
		if err := cmd.RunE(cmd, args); err != nil {
			return err
		}
	case cmd.Run != nil:
		cmd.Run(cmd, args)
	default:
		return errors.New("command has no Run or RunE")
	}
	if cmd.PostRunE != nil {
		if err := cmd.PostRunE(cmd, args); err != nil {
			return err
		}
	} else if cmd.PostRun != nil {
		cmd.PostRun(cmd, args)
	}
	return runPersistentHooks(cmd, args, lineage(cmd), persistentPostRun)
}

// lineage returns cmd and its parents, nearest first.
func lineage(cmd *cobra.Command) []*cobra.Command {
	var commands []*cobra.Command
	for c := cmd; c != nil; c = c.Parent() {
		commands = append(commands, c)
	}
	return commands
}

// hookOf picks a command's persistent hook pair: the error-returning form and the plain one.
type hookOf func(*cobra.Command) (func(*cobra.Command, []string) error, func(*cobra.Command, []string))

func persistentPreRun(c *cobra.Command) (func(*cobra.Command, []string) error, func(*cobra.Command, []string)) {
	return c.PersistentPreRunE, c.PersistentPreRun
}

func persistentPostRun(c *cobra.Command) (func(*cobra.Command, []string) error, func(*cobra.Command, []string)) {
	return c.PersistentPostRunE, c.PersistentPostRun
}

// runPersistentHooks runs, for cmd, the hook that hook picks from the first of commands that has one, or
// from all of them when cobra.EnableTraverseRunHooks is set, as cobra does.
func runPersistentHooks(cmd *cobra.Command, args []string, commands []*cobra.Command, hook hookOf) error {
	for _, c := range commands {
		withError, plain := hook(c)
		switch {
		case withError != nil:
			if err := withError(cmd, args); err != nil {
				return err
			}
		case plain != nil:
			plain(cmd, args)
		default:
			continue
		}
		if !cobra.EnableTraverseRunHooks {
			return nil
		}
	}
	return nil
}
