package sweep

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hessblock/hessblock/numerics"
)

// Two sweeps on one file: the second fails at once, the first finishes,
// and the file holds every point once (it used to hold every key twice,
// after which sweep and merge refused it).
func TestRunSecondWriterRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.jsonl")
	pts := mustExpand(t, tinySpec())
	started, release := make(chan struct{}), make(chan struct{})
	first := make(chan error, 1)
	go func() {
		once := false
		_, err := Run(context.Background(), path, pts, Options{Measure: func(c numerics.Config) (Record, error) {
			if !once {
				once = true
				close(started)
				<-release
			}
			return Measure(c)
		}})
		first <- err
	}()
	<-started
	_, err := Run(context.Background(), path, pts, Options{})
	close(release)
	if err == nil || !strings.Contains(err.Error(), "another sweep") {
		t.Errorf("second writer: err = %v, want a refusal naming the other sweep", err)
	}
	if err := <-first; err != nil {
		t.Fatalf("first writer: %v", err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := Merge(pts, map[string][]byte{"s": raw}); err != nil {
		t.Errorf("the file is not exactly the grid: %v", err)
	}
	// The lock went with the first run: a third run resumes (nothing to do).
	if st, err := Run(context.Background(), path, pts, Options{}); err != nil || st.Skipped != len(pts) {
		t.Errorf("after the first run: %+v, %v", st, err)
	}
}

func TestRunRefusesNonRegularFile(t *testing.T) {
	dir := t.TempDir()
	if _, err := Run(context.Background(), dir, mustExpand(t, tinySpec()), Options{}); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("directory as output: err = %v", err)
	}
}

// A grid too large to expand is refused before any point is built (a
// 1.6·10⁹-point grid used to exhaust memory in Expand).
func TestExpandRefusesHugeGrid(t *testing.T) {
	s := tinySpec()
	s.C, s.Seeds = make([]int, 2000), make([]uint64, 2000)
	for i := range s.C {
		s.C[i], s.Seeds[i] = i+2, uint64(i+1)
	}
	_, err := s.Expand()
	if err == nil || !strings.Contains(err.Error(), "split it") {
		t.Errorf("huge grid: err = %v", err)
	}
}
