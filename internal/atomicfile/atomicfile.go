// Package atomicfile writes files so that a reader sees either the old
// file or the complete new one, never a partial write: every file hessblock
// writes (reports, figures, sweep and training results, NumPy exports)
// goes through it. Dir does the same for a whole output directory: a run's
// files replace the previous run's as one set.
package atomicfile

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Write writes path through write: into a buffered temporary file in the
// same directory, which is synced, given mode 0644 and renamed over path.
// Missing parent directories are created. On error the temporary file and
// the directories created for it are removed and path is untouched.
func Write(path string, write func(io.Writer) error) (err error) {
	dir := filepath.Dir(path)
	defer func() {
		if err != nil {
			err = fmt.Errorf("writing %s: %w", path, err)
		}
	}()
	undo, err := mkdirs(dir)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			undo()
		}
	}()
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	// Encoders such as npyio write a matrix a few bytes at a time.
	bw := bufio.NewWriterSize(f, 1<<20)
	if err = write(bw); err != nil {
		return err
	}
	if err = bw.Flush(); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Chmod(0o644); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp, path); err != nil {
		return err
	}
	syncDir(dir)
	return nil
}

// WriteFile writes data to path atomically (see Write).
func WriteFile(path string, data []byte) error {
	return Write(path, func(w io.Writer) error {
		_, err := io.Copy(w, bytes.NewReader(data))
		return err
	})
}

// mkdirs is os.MkdirAll that returns a function removing the directories
// it created (if they are still empty), for a failed run that should
// leave nothing behind.
func mkdirs(dir string) (undo func(), err error) {
	var created []string
	for p := filepath.Clean(dir); ; p = filepath.Dir(p) {
		if _, err := os.Lstat(p); err == nil || filepath.Dir(p) == p {
			break
		}
		created = append(created, p)
	}
	undo = func() {
		for _, p := range created {
			os.Remove(p) // deepest first; fails harmlessly if not empty
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		undo()
		return func() {}, err
	}
	return undo, nil
}

// CheckFile reports whether Write could create path, without changing
// anything on disk: path must not be a directory, and the closest
// existing ancestor of its directory must accept new files. Commands call
// it before a long computation, so that a bad output fails at once.
func CheckFile(path string) error {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return fmt.Errorf("output file %s is a directory", path)
	}
	parent, err := existingAncestor(filepath.Dir(path))
	if err != nil {
		return fmt.Errorf("output file %s: %w", path, err)
	}
	f, err := os.CreateTemp(parent, ".hessblock-write-check*")
	if err != nil {
		return fmt.Errorf("output file %s: cannot write into %s: %w", path, parent, err)
	}
	f.Close()
	return os.Remove(f.Name())
}
