// Package testguard bounds how long a test waits for code that must
// terminate: a call that runs on past the limit fails the test instead of
// hanging the suite until go test's own timeout.
package testguard

import (
	"testing"
	"time"
)

// Limit is generous on a loaded machine and still far below go test's
// default timeout: the guarded calls take milliseconds when bounded.
const Limit = 20 * time.Second

// Within runs f and fails t if it has not returned after Limit. The
// goroutine running f is then abandoned (a Go test cannot stop it).
func Within(t testing.TB, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	select {
	case <-done:
	case <-time.After(Limit):
		t.Fatalf("%s still running after %v: not bounded", what, Limit)
	}
}
