package pool

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
)

func TestRunEveryIndexOnce(t *testing.T) {
	for _, workers := range []int{0, 1, 3, 16} {
		var calls atomic.Int64
		seen := make([]int32, 100)
		err := Run(context.Background(), len(seen), workers, func(i int) error {
			calls.Add(1)
			atomic.AddInt32(&seen[i], 1)
			return nil
		})
		if err != nil {
			t.Fatalf("workers %d: %v", workers, err)
		}
		for i, s := range seen {
			if s != 1 {
				t.Errorf("workers %d: index %d ran %d times", workers, i, s)
			}
		}
	}
}

func TestRunLowestError(t *testing.T) {
	e3, e7 := errors.New("3"), errors.New("7")
	err := Run(context.Background(), 10, 1, func(i int) error {
		switch i {
		case 3:
			return e3
		case 7:
			return e7
		}
		return nil
	})
	if err != e3 {
		t.Errorf("err = %v, want the error of index 3", err)
	}
	// One worker: nothing after the failing index is started.
	var after atomic.Int64
	Run(context.Background(), 10, 1, func(i int) error {
		if i > 3 {
			after.Add(1)
		}
		if i == 3 {
			return e3
		}
		return nil
	})
	if after.Load() > 1 {
		t.Errorf("%d indices ran after the failure, want at most 1", after.Load())
	}
}

func TestRunCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var calls atomic.Int64
	err := Run(ctx, 10, 2, func(int) error { calls.Add(1); return nil })
	if !errors.Is(err, context.Canceled) || calls.Load() != 0 {
		t.Errorf("cancelled: err %v, %d calls; want context.Canceled and none", err, calls.Load())
	}
}

// A worker count far above the number of items starts no more goroutines
// than items (reproduce -j 100000000 would otherwise start 10⁸).
func TestRunWorkersBoundedByItems(t *testing.T) {
	before := runtime.NumGoroutine()
	peak := 0
	var mu sync.Mutex
	err := Run(context.Background(), 3, 1<<30, func(int) error {
		mu.Lock()
		peak = max(peak, runtime.NumGoroutine()-before)
		mu.Unlock()
		return nil
	})
	if err != nil || peak > 3 {
		t.Errorf("Run with 2^30 workers on 3 items: %v, %d goroutines", err, peak)
	}
}
