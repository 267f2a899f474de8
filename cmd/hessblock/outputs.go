package main

import (
	"fmt"
	"os"
	"path/filepath"
)

// checkOutputDir makes sure dir exists (creating it) and accepts new
// files, before a computation that may take minutes: a mistyped or
// read-only -o then fails at once instead of after the work is done.
func checkOutputDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("output directory: %w", err)
	}
	f, err := os.CreateTemp(dir, ".hessblock-write-check*")
	if err != nil {
		return fmt.Errorf("output directory %s is not writable: %w", dir, err)
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}

// checkOutputFile is checkOutputDir for the directory of a file that will
// be written atomically, and refuses a path that names a directory.
func checkOutputFile(path string) error {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return fmt.Errorf("output file %s is a directory", path)
	}
	return checkOutputDir(filepath.Dir(path))
}
