// Package pool runs indexed work on a fixed number of goroutines: the one
// worker pool behind the report's grid and its theory curves.
package pool

import (
	"context"
	"sync"
)

// Run calls work(i) for i = 0 … n−1 on max(workers, 1) goroutines (no more
// than n: a huge worker count costs nothing beyond the work), handing
// out indices in increasing order. It stops handing out work once ctx is
// done or a call has failed, waits for the calls under way, and returns
// ctx's error, or else the error of the lowest failing index. work must be
// safe for concurrent use; results go wherever work puts them (typically
// slot i of a slice), so they do not depend on the number of workers.
func Run(ctx context.Context, n, workers int, work func(i int) error) error {
	errs := make([]error, n)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range min(max(workers, 1), max(n, 1)) {
		wg.Go(func() {
			for i := range jobs {
				if errs[i] = work(i); errs[i] != nil {
					cancel()
				}
			}
		})
	}
	var err error
feed:
	for i := range n {
		// select picks at random among ready cases: check first, so that
		// no work is handed out after a cancellation.
		if err = ctx.Err(); err != nil {
			break
		}
		select {
		case jobs <- i:
		case <-ctx.Done():
			err = ctx.Err()
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return err
}
