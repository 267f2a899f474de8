package numerics

import (
	"errors"
	"testing"
)

// Helpers shared by the tests of several files.

// mustPanic fails the test unless f panics: the package's rule for a
// programming error such as a vector of the wrong length.
func mustPanic(t *testing.T, what string, f func()) {
	t.Helper()
	defer func() {
		if recover() == nil {
			t.Errorf("%s did not panic", what)
		}
	}()
	f()
}

func asDenseTooLarge(err error, target **DenseTooLargeError) bool { return errors.As(err, target) }

// noPanic runs f and fails the test if it panics or returns a nil error.
func noPanic(t *testing.T, what string, f func() error) {
	t.Helper()
	var err error
	panicked := func() (v any) {
		defer func() { v = recover() }()
		err = f()
		return nil
	}()
	switch {
	case panicked != nil:
		t.Errorf("%s panicked: %v", what, panicked)
	case err == nil:
		t.Errorf("%s: no error", what)
	default:
		t.Logf("%s: %v", what, err)
	}
}
