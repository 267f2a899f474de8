package atomicfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Marker is the file Dir writes into every directory it fills. Its
// presence is how a later run recognises a directory hessblock wrote and
// may replace; a directory without it is replaced only when it is empty.
const Marker = ".hessblock-output"

const markerText = "This directory was written by hessblock. A later hessblock run writing here\n" +
	"replaces the whole directory, so do not keep other files in it.\n"

// ErrForeignDir is wrapped by the error of Dir and CheckDir for a
// directory that holds files hessblock did not write.
var ErrForeignDir = errors.New("holds files hessblock did not write")

// rename is os.Rename; tests replace it to make the swap fail.
var rename = os.Rename

// CheckDir reports whether Dir could replace dir, without changing
// anything on disk: dir must be absent, an empty directory or a directory
// holding Marker, and its parent must accept a new entry. Commands call it
// before minutes of computation, so that a bad output directory fails at
// once.
func CheckDir(dir string) error {
	if err := replaceable(dir); err != nil {
		return err
	}
	parent, err := existingAncestor(filepath.Dir(filepath.Clean(dir)))
	if err != nil {
		return fmt.Errorf("output directory %s: %w", dir, err)
	}
	tmp, err := os.MkdirTemp(parent, ".hessblock-write-check*")
	if err != nil {
		return fmt.Errorf("output directory %s: cannot create it or a sibling: %w", dir, err)
	}
	return os.Remove(tmp)
}

// existingAncestor returns p or its closest existing ancestor, which must
// be a directory.
func existingAncestor(p string) (string, error) {
	for p = filepath.Clean(p); ; p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		if err == nil {
			if !fi.IsDir() {
				return "", fmt.Errorf("%s is not a directory", p)
			}
			return p, nil
		}
		if !errors.Is(err, os.ErrNotExist) || filepath.Dir(p) == p {
			return "", err
		}
	}
}

// replaceable checks that dir is absent, empty or marked.
func replaceable(dir string) error {
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("output directory: %w", err)
	case !fi.IsDir():
		return fmt.Errorf("output directory %s is not a directory", dir)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("output directory: %w", err)
	}
	if len(ents) == 0 {
		return nil
	}
	if _, err := os.Stat(filepath.Join(dir, Marker)); err == nil {
		return nil
	}
	return fmt.Errorf("output directory %s %w (it has no %s file), and a run replaces the whole directory; "+
		"choose a new or empty directory (nothing was changed)", dir, ErrForeignDir, Marker)
}

// Dir replaces the directory dir by a new one that fill writes, so that
// dir holds exactly the files of one run: fill receives a temporary
// sibling directory (in dir's parent, holding Marker) and writes its
// files there; then the old dir, if any, is renamed aside, the new one
// renamed into place and the old one removed. Files of an earlier run that
// this one does not write are therefore gone.
//
// Dir never deletes files it did not write: dir must be absent, empty or
// hold Marker (see CheckDir); otherwise Dir refuses with an error wrapping
// ErrForeignDir. On any failure — fill's error, a full disk, a rename that
// fails — the old dir is left as it was and the temporary directory is
// removed. Missing parents of dir are created. Between the two renames dir
// is briefly absent; a reader never sees a mix of two runs.
func Dir(dir string, fill func(tmp string) error) (err error) {
	if err := replaceable(dir); err != nil {
		return err
	}
	dir = filepath.Clean(dir)
	if abs, aerr := filepath.Abs(dir); aerr == nil {
		dir = abs // "." cannot be renamed, its absolute name can
	}
	parent, base := filepath.Dir(dir), filepath.Base(dir)
	undo, err := mkdirs(parent)
	if err != nil {
		return fmt.Errorf("output directory: %w", err)
	}
	tmp, err := os.MkdirTemp(parent, "."+base+".tmp*")
	if err != nil {
		undo()
		return fmt.Errorf("output directory %s: %w", dir, err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
			undo()
		}
	}()
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	if err := WriteFile(filepath.Join(tmp, Marker), []byte(markerText)); err != nil {
		return fillError{err, tmp, dir}
	}
	if err := fill(tmp); err != nil {
		return fillError{err, tmp, dir}
	}
	old := ""
	if _, serr := os.Lstat(dir); serr == nil {
		old = tmp + ".old" // unique, as tmp is
		if err := rename(dir, old); err != nil {
			return fmt.Errorf("replacing output directory %s: %w", dir, err)
		}
	}
	if err := rename(tmp, dir); err != nil {
		if old != "" {
			if rerr := rename(old, dir); rerr != nil {
				return fmt.Errorf("replacing output directory %s: %w; the previous contents are in %s", dir, err, old)
			}
		}
		return fmt.Errorf("replacing output directory %s: %w", dir, err)
	}
	syncDir(parent)
	if old != "" {
		if err := os.RemoveAll(old); err != nil {
			return fmt.Errorf("output written to %s, but removing the previous run's %s failed: %w", dir, old, err)
		}
	}
	return nil
}

// syncDir makes renames in dir durable; a failure does not lose data
// already visible to readers, so it is not reported.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// fillError is an error of Dir's fill, printed with the temporary
// directory's name replaced by the output directory's (the temporary is
// gone when the user reads it) and saying the old directory is intact.
type fillError struct {
	err      error
	tmp, dir string
}

func (e fillError) Error() string {
	return strings.ReplaceAll(e.err.Error(), e.tmp, e.dir) + " (the output directory was left as it was)"
}

func (e fillError) Unwrap() error { return e.err }
