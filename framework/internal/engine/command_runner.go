package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"slices"
	"sync"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// panicError is the error a run returns when the command panicked; the process lives on. Its run is
// logged with outcome panic, the error "panic: <value>" and the stack.
type panicError struct {
	value any    // what was passed to panic
	stack string // the stack of the panicking goroutine
}

func (e *panicError) Error() string { return fmt.Sprintf("panic: %v", e.value) }

// notStartedError is the error of a run that never started: the command was busy with another entry's
// run until the run's context ended.
type notStartedError struct {
	command string
	cause   error
}

func (e *notStartedError) Error() string {
	return fmt.Sprintf("command %q was still busy with another entry's run when the run's context ended (%v): "+
		"the run never started", e.command, e.cause)
}

func (e *notStartedError) Unwrap() error { return e.cause }

// commandRunner runs cobra commands in-process the way `<app> <command path>` with no arguments would
// from the CLI, on the command itself (never a copy: a copy by value keeps its parent, so executing it
// re-runs the root on os.Args, and copies share one flag set). cobra keeps a command's flag set and
// context inside the command, so runs of one command are serialized (a per-command lock). Steps that write
// flag sets shared by several commands (merging the parents' persistent flags) are serialized across all
// commands, and so are the hooks: parents' hooks are shared by every job below them. The empty command
// line is parsed on a command's first run only: parsing it again would change nothing.
type commandRunner struct {
	flagMu sync.Mutex
	hookMu sync.Mutex // held by every hook call, of any command

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
	// ownFlags are the command's local and persistent flags (not those inherited from its parents), reset
	// to their defaults before each run.
	ownFlags []*pflag.Flag
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

// runOutput are the writers a run's command gets as its out and err; nil leaves the command's own.
type runOutput struct{ out, err io.Writer }

// run executes cmd with ctx as its Context() and no arguments, as the CLI would: every flag of cmd's own
// (local and persistent) reset to its default and marked unchanged, args validated, then the hooks in
// cobra's order: the persistent pre-run of the nearest parent that has one (of all parents when
// cobra.EnableTraverseRunHooks is set), PreRun, the required-flag and flag-group checks, Run, PostRun and
// the persistent post-run. Flags inherited from parents (e.g. --base-folder) are not reset: they carry the
// settings of the process running the scheduler. Hook calls of all commands are serialized; Run of
// different commands runs concurrently. cobra.OnInitialize functions are not run again. With output, the
// command's out and err are set to output's writers for the run and unset after it.
//
// run waits for a run of the same command already going on; if ctx ends first it returns a
// *notStartedError. It returns the command's error, an error naming a flag that could not be reset, or a
// *panicError if the command panicked.
func (r *commandRunner) run(ctx context.Context, cmd *cobra.Command, output *runOutput) (err error) {
	state := r.stateOf(cmd)
	select {
	case state.lock <- struct{}{}:
	case <-ctx.Done():
		return &notStartedError{command: cmd.Name(), cause: ctx.Err()}
	}
	defer func() { <-state.lock }()
	defer func() {
		if recovered := recover(); recovered != nil {
			err = &panicError{value: recovered, stack: string(debug.Stack())}
		}
	}()
	if output != nil {
		cmd.SetOut(output.out)
		cmd.SetErr(output.err)
		defer func() { cmd.SetOut(nil); cmd.SetErr(nil) }()
	}
	if err := r.prepare(cmd, state); err != nil {
		return err
	}
	cmd.SetContext(ctx)
	args := cmd.Flags().Args()
	if err := cmd.ValidateArgs(args); err != nil {
		return err
	}
	return r.execute(cmd, state, args)
}

// prepare parses cmd's empty command line on its first run, then resets cmd's own flags that are not at
// their defaults (set by a flag, or by the command through the flag's variable).
func (r *commandRunner) prepare(cmd *cobra.Command, state *commandState) error {
	if !state.flagsParsed {
		r.flagMu.Lock()
		err := cmd.ParseFlags([]string{})
		if err == nil {
			cmd.LocalFlags().VisitAll(func(flag *pflag.Flag) { state.ownFlags = append(state.ownFlags, flag) })
		}
		r.flagMu.Unlock()
		if err != nil {
			return fmt.Errorf("parse flags of %q: %w", cmd.Name(), err)
		}
		state.flagsParsed = true
		cmd.Flags().VisitAll(func(flag *pflag.Flag) { state.flagChecks = state.flagChecks || len(flag.Annotations) > 0 })
	}
	for _, flag := range state.ownFlags {
		if !flag.Changed && flag.Value.String() == flag.DefValue {
			continue // as the last run left it: nothing to reset
		}
		if err := resetFlag(flag); err != nil {
			return fmt.Errorf("command %q: reset flag --%s to its default %q before the run: %w", cmd.Name(), flag.Name, flag.DefValue, err)
		}
	}
	return nil
}

// execute runs the hooks and the command in cobra's order (see run).
func (r *commandRunner) execute(cmd *cobra.Command, state *commandState, args []string) error {
	parents := lineage(cmd) // nearest first; pre-run hooks go root first when all of them run
	if cobra.EnableTraverseRunHooks {
		slices.Reverse(parents)
	}
	if err := r.runPersistentHooks(cmd, args, parents, persistentPreRun); err != nil {
		return err
	}
	if err := r.hook(cmd, args, cmd.PreRunE, cmd.PreRun); err != nil {
		return err
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
	if err := r.hook(cmd, args, cmd.PostRunE, cmd.PostRun); err != nil {
		return err
	}
	return r.runPersistentHooks(cmd, args, lineage(cmd), persistentPostRun)
}

// hook calls withError if set, else plain if set, holding the hook lock.
func (r *commandRunner) hook(cmd *cobra.Command, args []string, withError func(*cobra.Command, []string) error, plain func(*cobra.Command, []string)) error {
	if withError == nil && plain == nil {
		return nil
	}
	r.hookMu.Lock()
	defer r.hookMu.Unlock()
	if withError != nil {
		return withError(cmd, args)
	}
	plain(cmd, args)
	return nil
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
func (r *commandRunner) runPersistentHooks(cmd *cobra.Command, args []string, commands []*cobra.Command, hook hookOf) error {
	for _, c := range commands {
		withError, plain := hook(c)
		if withError == nil && plain == nil {
			continue
		}
		if err := r.hook(cmd, args, withError, plain); err != nil {
			return err
		}
		if !cobra.EnableTraverseRunHooks {
			return nil
		}
	}
	return nil
}
