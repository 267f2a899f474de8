// Command hessblock reproduces the study of Hessian block structure at
// random initialization and inspects any configuration.
//
// Usage:
//
//	hessblock [command] [flags]
//
// With no command it runs "reproduce". "hessblock help" lists the commands;
// "hessblock COMMAND -h" lists a command's flags and defaults.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/hessblock/hessblock/internal/membudget"
)

// command is one subcommand. Each lives in its own file and registers
// itself in init, so that subcommands can be added without touching main.
type command struct {
	name    string
	summary string
	// run parses args with its own FlagSet (use newFlagSet) and runs.
	run func(args []string, stdout, stderr io.Writer) error
}

var commands = map[string]*command{}

func register(c *command) { commands[c.name] = c }

// defaultCommand is what a bare run does.
const defaultCommand = "reproduce"

// usageError marks errors in flags or specs: exit status 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// newFlagSet returns a FlagSet whose errors are returned, not fatal, and
// whose usage lists the flags with their defaults.
func newFlagSet(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: hessblock %s\n\nflags:\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args and turns flag errors into usage errors.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err}
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return usagef("unexpected arguments: %q", fs.Args())
	}
	return nil
}

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// run executes the command line and returns the exit status: 0 on success,
// 1 on a failure while running, 2 on bad usage.
func run(args []string, stdout, stderr io.Writer) int {
	// A bare -h asks about the tool, not about the default command: list
	// the commands (reproduce's flags are one 'reproduce -h' away).
	if len(args) == 1 && isHelpFlag(args[0]) {
		printHelp(stdout)
		return 0
	}
	name := defaultCommand
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		name, args = args[0], args[1:]
	}
	if name == "help" {
		// "help COMMAND" is "COMMAND -h", printed where "help" prints:
		// asked for, help is output, not a diagnostic.
		if len(args) == 1 {
			if _, ok := commands[args[0]]; ok {
				return run([]string{args[0], "-h"}, stdout, stdout)
			}
		}
		if len(args) > 0 {
			fmt.Fprintf(stderr, "hessblock help: unknown command %q\n\n", strings.Join(args, " "))
			printHelp(stderr)
			return 2
		}
		printHelp(stdout)
		return 0
	}
	c, ok := commands[name]
	if !ok {
		fmt.Fprintf(stderr, "hessblock: unknown command %q\n\n", name)
		printHelp(stderr)
		return 2
	}
	// -max-memory sets the process budget while parsing; it lasts for
	// this command only (tests run many commands in one process).
	defer membudget.SetLimit(0)()
	out := &checkedWriter{w: stdout}
	err := c.run(args, out, stderr)
	if err == nil && out.err != nil {
		err = fmt.Errorf("writing the output: %w", out.err)
	}
	var ue usageError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "hessblock %s: %v\n", name, err)
		return 2
	}
	fmt.Fprintf(stderr, "hessblock %s: %v\n", name, err)
	return 1
}

// checkedWriter remembers the first write error, so that output lost to a
// full disk or a closed pipe fails the command (exit 1) even where the
// printing code does not check each write.
type checkedWriter struct {
	w   io.Writer
	err error
}

func (c *checkedWriter) Write(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.w.Write(p)
	c.err = err
	return n, err
}

func isHelpFlag(a string) bool {
	switch a {
	case "-h", "-help", "--help", "--h":
		return true
	}
	return false
}

func printHelp(w io.Writer) {
	fmt.Fprintln(w, "hessblock measures the block structure of neural-network Hessians at random initialization.")
	fmt.Fprintln(w, "\nusage: hessblock [command] [flags]   (no command: "+defaultCommand+")\n\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'hessblock COMMAND -h' (or 'hessblock help COMMAND') for a command's flags and defaults. Example:")
	fmt.Fprintln(w, "  hessblock inspect -model linear -loss ce -C 50 -d 40 -N 200")
}
