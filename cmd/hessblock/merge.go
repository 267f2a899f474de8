package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/hessblock/hessblock/internal/atomicfile"
	"github.com/hessblock/hessblock/internal/sweep"
)

func init() {
	register(&command{
		name:    "merge",
		summary: "join sweep shard files in grid order, checking no point is missing or duplicated",
		run:     runMerge,
	})
}

func runMerge(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("merge", "merge [grid flags as given to sweep] -o FILE SHARD.jsonl...\n\nJoins the files of a sweep, in grid order, into -o (written atomically). It fails, writing\nnothing, if a point of the grid is missing, appears twice, or is not in the grid; give the\nsame grid (-spec or grid flags) as to sweep.", stderr)
	g := addGridFlags(fs)
	out := fs.String("o", "merged.jsonl", "output `file`")
	quiet := fs.Bool("quiet", false, "no summary on stderr")
	// merge takes file arguments, so it parses without parseFlags (which
	// rejects them) but keeps its error convention.
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err}
	}
	if *out == "" {
		return usagef("-o: empty file name")
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return usagef("no shard files given")
	}
	pts, err := g.points()
	if err != nil {
		return err
	}
	outInfo, outErr := os.Stat(*out)
	seen := map[string]bool{}
	for _, name := range fs.Args() {
		if seen[name] {
			return usagef("file %s given twice", name)
		}
		seen[name] = true
		// Merging into one of the shards would replace it: a failed or
		// repeated merge could then no longer be redone from the shards.
		if in, err := os.Stat(name); err == nil && outErr == nil && os.SameFile(in, outInfo) {
			return usagef("-o %s is one of the input files; write the merge to another file", *out)
		}
	}
	files := map[string][]byte{}
	for _, name := range fs.Args() {
		data, err := os.ReadFile(name)
		if err != nil {
			return err
		}
		files[name] = data
	}
	merged, st, err := sweep.Merge(pts, files)
	for _, name := range st.Truncated {
		fmt.Fprintf(stderr, "hessblock merge: %s ends with a truncated line (an interrupted sweep); ignored\n", name)
	}
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(*out, merged); err != nil {
		return err
	}
	if !*quiet {
		fmt.Fprintf(stderr, "hessblock merge: %d points from %d files → %s\n", st.Points, len(files), *out)
	}
	return nil
}
