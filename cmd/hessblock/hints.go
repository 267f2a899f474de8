package main

import (
	"errors"
	"fmt"

	"github.com/hessblock/hessblock/internal/membudget"
	"github.com/hessblock/hessblock/numerics"
)

// flagHints maps, per command, the memory guards of numerics to what a
// user of the command can change. The library's own messages name its
// API (Problem.MaxDenseBytes, Measure with StatsSampled), which means
// nothing on the command line.
var flagHints = map[string]struct{ dense, structured string }{
	"inspect": {
		dense:      "raise -max-dense-bytes",
		structured: "use fewer samples (-N)",
	},
	"train": {
		dense:      "use -stats structured or -stats sampled, or fewer parameters (-C, -d, -m)",
		structured: "use -stats sampled, or fewer samples (-N)",
	},
}

// withFlagHints rewrites a memory-guard error of numerics in terms of the
// command's flags; other errors pass unchanged.
func withFlagHints(name string, err error) error {
	h, ok := flagHints[name]
	if !ok || err == nil {
		return err
	}
	var dense *numerics.DenseTooLargeError
	var st *numerics.StructuredTooLargeError
	switch {
	case errors.As(err, &st):
		hint := h.structured
		if st.FitN > 0 {
			hint = fmt.Sprintf("-N %d or less would fit; or %s", st.FitN, hint)
		}
		return rehint(err, st.Unwrap(), hint, "")
	case errors.As(err, &dense):
		return rehint(err, dense.Unwrap(), h.dense, fmt.Sprintf(
			"a dense Hessian of P = %d parameters needs %s, over the dense limit of %s; %s",
			dense.Params, membudget.Format(dense.Bytes), membudget.Format(dense.Limit), h.dense))
	}
	return err
}

// rehint prints a budget error (inner, a *membudget.Error) with hint in
// place of the library's, or else msg; the result still wraps err.
func rehint(err, inner error, hint, msg string) error {
	var be *membudget.Error
	if errors.As(inner, &be) {
		c := *be
		c.Hint = hint
		return hinted{c.Error(), err}
	}
	if msg == "" {
		return err
	}
	return hinted{msg, err}
}

// hinted is an error printed as msg that still wraps the original for
// errors.Is and errors.As.
type hinted struct {
	msg string
	err error
}

func (e hinted) Error() string { return e.msg }
func (e hinted) Unwrap() error { return e.err }
