package main

import (
	"fmt"
	"io"
)

// Placeholder until the report lands: a bare run prints help and an example.
func init() {
	register(&command{
		name:    "reproduce",
		summary: "reproduce the study's static-force results (not yet implemented: prints help)",
		run: func(args []string, stdout, stderr io.Writer) error {
			fs := newFlagSet("reproduce", "reproduce [flags]", stderr)
			if err := parseFlags(fs, args); err != nil {
				return err
			}
			printHelp(stdout)
			fmt.Fprintln(stdout)
			return nil
		},
	})
}
