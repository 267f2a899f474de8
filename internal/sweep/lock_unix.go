//go:build unix

package sweep

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// lockFile takes an exclusive advisory lock on f without waiting. The
// lock goes with the open file description: closing f releases it, and so
// does the death of the process, so a killed sweep never leaves a stale
// lock behind.
func lockFile(f *os.File) error {
	err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return fmt.Errorf("sweep: %s is being written by another sweep (it holds the file's lock); wait for it, or write to another -o", f.Name())
	}
	if err != nil {
		return fmt.Errorf("sweep: locking %s: %w", f.Name(), err)
	}
	return nil
}
