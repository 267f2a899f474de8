//go:build unix

package sweep

import (
	"context"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// A FIFO (or /dev/stdout piped to another program) as -o used to hang;
// it is refused at once (issue 14, D12).
func TestRunRefusesFIFO(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(path, 0o644); err != nil {
		t.Skip("no mkfifo here:", err)
	}
	if _, err := Run(context.Background(), path, mustExpand(t, tinySpec()), Options{}); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("FIFO as output: err = %v", err)
	}
}
