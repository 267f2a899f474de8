package sweep

import (
	"context"
	"errors"
	"fmt"
	"github.com/hessblock/hessblock/internal/membudget"
	"os"
	"sort"
	"sync"

	"github.com/hessblock/hessblock/numerics"
)

// Options tunes Run. The zero value measures with Measure, one point at a
// time, silently.
type Options struct {
	// Workers is the number of points measured at once (≥ 1). The Hessian
	// assembly is itself parallel, so more than one worker helps only for
	// small points. Lines are written in grid order whatever the value.
	Workers int
	// Measure replaces Measure, e.g. in tests.
	Measure func(numerics.Config) (Record, error)
	// Curvature measures with MeasureCurvature (unless Measure is set),
	// adding the G/Hres split to every record, and checks the memory with
	// MeasureCurvatureBytes.
	Curvature bool
	// Progress, if set, is called after each point is written with the
	// number written so far in this run and the number to write.
	Progress func(done, total int)
}

// Stats summarises a Run.
type Stats struct {
	Skipped int  // points already in the file
	Written int  // points measured and appended by this run
	Dropped bool // a truncated last line was removed
	Foreign int  // lines in the file that are not points of this grid
	Failed  int  // points whose measurement failed (left out of the file)
}

// Run measures the points of pts that are not yet in the file at path and
// appends one line per point, syncing the file after each line, so that a
// kill loses at most the points in flight. It first drops a truncated last
// line left by an earlier kill. A point whose measurement fails is left
// out and the others go on; the error then lists the failed points. On a
// write error or when ctx is cancelled it writes the points already
// finished, then returns the error.
//
// Lines are appended in grid order, so an uninterrupted run gives the same
// bytes for the same points; after an interruption, Merge restores the order.
//
// Before anything, the memory of the grid and of Workers points in flight
// (CheckMemory) is checked against the budget (membudget.Limit).
//
// The file is locked for the whole run: a second sweep on the same file
// fails at once instead of interleaving its lines with this one's. path
// must be a regular file (or not exist yet).
func Run(ctx context.Context, path string, pts []Point, opt Options) (_ Stats, err error) {
	var st Stats
	bytesOf := MeasureBytes
	if opt.Curvature {
		bytesOf = MeasureCurvatureBytes
	}
	if err := checkMemory(pts, min(max(opt.Workers, 1), len(pts)), membudget.Limit(), bytesOf); err != nil {
		return st, err
	}
	fi, err := os.Stat(path)
	if err == nil && !fi.Mode().IsRegular() {
		return st, fmt.Errorf("sweep: %s is not a regular file; a sweep appends to and rereads its file", path)
	}
	created := errors.Is(err, os.ErrNotExist)
	out, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return st, err
	}
	defer out.Close()
	if err := lockFile(out); err != nil {
		return st, err
	}
	// A run that created the file and failed before writing a line (a
	// full disk) leaves no empty file behind. Only the lock holder may
	// remove it: a second sweep that lost the race must not.
	defer func() {
		if created && err != nil && st.Written == 0 {
			os.Remove(path)
		}
	}()
	f, err := ReadFile(path)
	if err != nil {
		return st, err
	}
	have := f.Keys()
	inGrid := map[string]bool{}
	var todo []Point
	for _, p := range pts {
		inGrid[p.Key] = true
		if have[p.Key] {
			st.Skipped++
		} else {
			todo = append(todo, p)
		}
	}
	for k := range have {
		if !inGrid[k] {
			st.Foreign++
		}
	}
	if f.Truncated {
		if err := os.Truncate(path, f.ValidLen); err != nil {
			return st, fmt.Errorf("sweep: dropping the truncated last line of %s: %w", path, err)
		}
		st.Dropped = true
	}
	if len(todo) == 0 {
		return st, nil
	}
	measure := opt.Measure
	switch {
	case measure == nil && opt.Curvature:
		measure = MeasureCurvature
	case measure == nil:
		measure = Measure
	}
	// More workers than points would only hold buffers: at most one per point.
	workers := min(max(opt.Workers, 1), len(todo))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	type result struct {
		i   int // index in todo
		rec Record
		err error
	}
	jobs := make(chan int)
	results := make(chan result)
	// Lines are written in grid order, so a point that finishes early waits
	// for the ones before it. The window bounds how many points may be
	// handed out ahead of the last one written: a kill then loses at most
	// 2·workers finished points, and a cancellation takes effect within the
	// window instead of after every point has been dispatched.
	window := make(chan struct{}, 2*workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				rec, err := measure(todo[i].Config)
				if err == nil && rec.Key != todo[i].Key {
					err = fmt.Errorf("sweep: measured %q for point %q", rec.Key, todo[i].Key)
				}
				results <- result{i, rec, err}
			}
		}()
	}
	go func() {
		defer close(jobs)
		for i := range todo {
			// select picks at random among ready cases, so check for
			// cancellation first: at most one point is handed out after it.
			if ctx.Err() != nil {
				return
			}
			select {
			case window <- struct{}{}:
			case <-ctx.Done():
				return
			}
			select {
			case jobs <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() { wg.Wait(); close(results) }()

	write := func(rec Record) error {
		line, err := MarshalRecord(rec)
		if err != nil {
			return err
		}
		if _, err := out.Write(line); err != nil {
			return fmt.Errorf("sweep: appending to %s: %w", path, err)
		}
		if err := out.Sync(); err != nil {
			return fmt.Errorf("sweep: syncing %s: %w", path, err)
		}
		st.Written++
		select {
		case <-window:
		default:
		}
		if opt.Progress != nil {
			opt.Progress(st.Written, len(todo))
		}
		return nil
	}
	// A point whose measurement fails (an undefined statistic, say) is
	// reported and left out of the file, and the sweep goes on: it used to
	// stop there, so every rerun stopped at the same point and the points
	// after it were never measured. Reruns retry only the failed points.
	pending := map[int]*Record{} // nil: the point failed
	next := 0
	var firstErr error // a write error: stops the sweep
	var failed []error
	for r := range results {
		if r.err != nil {
			failed = append(failed, fmt.Errorf("point %s: %w", todo[r.i].Key, r.err))
			pending[r.i] = nil
		} else {
			pending[r.i] = &r.rec
		}
		for firstErr == nil {
			rec, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			next++
			if rec == nil {
				// A failed point is done too: free its slot of the
				// window, or 2·workers failures in a row stall the sweep.
				select {
				case <-window:
				default:
				}
				continue
			}
			if err := write(*rec); err != nil {
				firstErr = err
				cancel()
			}
		}
	}
	// Keep what finished out of order before stopping — unless writing
	// failed already: a full disk would fail again and report the same
	// error twice.
	if len(pending) > 0 && firstErr == nil {
		idx := make([]int, 0, len(pending))
		for i := range pending {
			idx = append(idx, i)
		}
		sort.Ints(idx)
		for _, i := range idx {
			if pending[i] == nil {
				continue
			}
			if err := write(*pending[i]); err != nil {
				return st, errors.Join(firstErr, err)
			}
		}
	}
	st.Failed = len(failed)
	if len(failed) > 0 {
		sort.Slice(failed, func(i, j int) bool { return failed[i].Error() < failed[j].Error() })
		firstErr = errors.Join(firstErr, fmt.Errorf("sweep: %d of %d points could not be measured (the others are in %s):\n%w", len(failed), len(todo), path, errors.Join(failed...)))
	}
	if firstErr != nil {
		return st, firstErr
	}
	if err := ctx.Err(); err != nil && st.Written+st.Skipped < len(pts) {
		return st, err
	}
	return st, out.Close()
}
