package sweep

import (
	"context"
	"errors"
	"math"
	"os"
	"os/exec"
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

// A point that cannot be measured no longer blocks the sweep: the others
// are written, the error lists the failed one, and a rerun retries only it
// (issue 14, D9: every rerun used to stop at the same point).
func TestRunGoesOnPastFailedPoint(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.jsonl")
	pts := mustExpand(t, tinySpec())
	bad := pts[3].Key
	var calls []string
	measure := func(c numerics.Config) (Record, error) {
		calls = append(calls, Key(c))
		if Key(c) == bad {
			return Record{}, errors.New("rho is +Inf")
		}
		return Measure(c)
	}
	st, err := Run(context.Background(), path, pts, Options{Measure: measure})
	if err == nil || !strings.Contains(err.Error(), bad) || strings.Count(err.Error(), bad) != 1 {
		t.Errorf("err = %v: want one mention of the failed point %s", err, bad)
	}
	if st.Written != len(pts)-1 || st.Failed != 1 {
		t.Errorf("stats %+v: want %d written, 1 failed", st, len(pts)-1)
	}
	calls = nil
	if _, err := Run(context.Background(), path, pts, Options{Measure: measure}); err == nil {
		t.Error("rerun: the failing point passed")
	}
	if len(calls) != 1 || calls[0] != bad {
		t.Errorf("rerun measured %v, want only %s", calls, bad)
	}
}

// A failed run that created the file and wrote no line leaves no empty
// file behind (issue 14: failed runs leave empty files); a file that
// existed before stays.
func TestRunFailureLeavesNoEmptyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.jsonl")
	pts := mustExpand(t, tinySpec())
	fail := func(numerics.Config) (Record, error) { return Record{}, errors.New("boom") }
	if _, err := Run(context.Background(), path, pts, Options{Measure: fail}); err == nil {
		t.Fatal("no error")
	}
	if _, err := os.Stat(path); err == nil {
		t.Error("the failed run left an empty file")
	}
	os.WriteFile(path, nil, 0o644)
	Run(context.Background(), path, pts, Options{Measure: fail})
	if _, err := os.Stat(path); err != nil {
		t.Error("the failed run removed a file it did not create")
	}
}

// D5/D9: a point whose R is undefined (tanh with σ_w = 0: the output
// blocks vanish) is written with "R": null and its reason, read back as
// NaN with the reason, and the sweep completes instead of failing there.
func TestRunRecordsUndefinedAsNull(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.jsonl")
	s := Spec{Models: []string{"mlp"}, Losses: []string{"ce"}, Activations: []string{"tanh"},
		C: []int{2, 3}, D: []int{4}, N: []int{10}, M: []int{3}, SigmaW: []float64{0, 1}, SigmaV: []float64{1}, Seeds: []uint64{1}}
	pts := mustExpand(t, s)
	st, err := Run(context.Background(), path, pts, Options{})
	if err != nil || st.Written != len(pts) {
		t.Fatalf("stats %+v, error %v: want every point written", st, err)
	}
	raw, _ := os.ReadFile(path)
	if !strings.Contains(string(raw), `"R":null,"R_undefined":"the family's diagonal blocks are 0"`) {
		t.Errorf("no undefined R in the file:\n%s", raw)
	}
	f, err := ReadFile(path)
	if err != nil {
		t.Fatalf("reading back: %v", err)
	}
	undefined := 0
	for _, l := range f.Lines {
		for _, fr := range l.Record.Families {
			if fr.Undefined != "" {
				undefined++
				if !math.IsNaN(fr.R) {
					t.Errorf("%s %s: R = %v with reason %q", l.Record.Key, fr.Family, fr.R, fr.Undefined)
				}
			}
		}
	}
	if undefined == 0 {
		t.Error("read back no undefined R")
	}
}

// A FIFO (or /dev/stdout piped to another program) as -o used to hang;
// it is refused at once (issue 14, D12).
func TestRunRefusesFIFO(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fifo")
	if err := exec.Command("mkfifo", path).Run(); err != nil {
		t.Skip("no mkfifo here:", err)
	}
	if _, err := Run(context.Background(), path, mustExpand(t, tinySpec()), Options{}); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("FIFO as output: err = %v", err)
	}
}
