package study

import (
	"context"
	"errors"
	"testing"
	"time"
)

// untilCancelled returns as soon as the context is done, abandoning work
// that takes no context (the dynamic section's training), so that Ctrl-C
// during `reproduce -dynamic` stops the command; it used to be ignored
// until training finished, and the report was written anyway.
func TestUntilCancelled(t *testing.T) {
	v, err := untilCancelled(context.Background(), func() (int, error) { return 7, nil })
	if v != 7 || err != nil {
		t.Errorf("uncancelled: %v, %v", v, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	block := make(chan struct{})
	defer close(block)
	time.AfterFunc(10*time.Millisecond, cancel)
	start := time.Now()
	_, err = untilCancelled(ctx, func() (int, error) { <-block; return 1, nil })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: err = %v", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("returned %v after the cancellation", d)
	}
}
