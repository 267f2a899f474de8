package main

import (
	"errors"
	"fmt"

	"github.com/hessblock/hessblock/internal/inspect"
	"github.com/hessblock/hessblock/numerics"
)

// flagHints maps, per command, the memory guards of numerics to what a
// user of the command can change. The library's own messages name its
// fields (Problem.MaxStructuredBytes, Problem.MaxDenseBytes), which mean
// nothing on the command line.
var flagHints = map[string]struct{ dense, structured string }{
	"inspect": {
		dense:      "raise -max-dense-bytes",
		structured: "use fewer samples (-N), or raise -max-dense-bytes if the dense Hessian fits in memory",
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
		return hinted{fmt.Sprintf("the structured statistics at N = %d samples need about %s of work arrays, over the limit of %s; %s",
			st.N, inspect.FormatBytes(st.Bytes), inspect.FormatBytes(st.Limit), h.structured), err}
	case errors.As(err, &dense):
		return hinted{fmt.Sprintf("a dense Hessian of P = %d parameters needs %s, over the limit of %s; %s",
			dense.Params, inspect.FormatBytes(dense.Bytes), inspect.FormatBytes(dense.Limit), h.dense), err}
	}
	return err
}

// hinted is an error printed as msg that still wraps the original for
// errors.Is and errors.As.
type hinted struct {
	msg string
	err error
}

func (e hinted) Error() string { return e.msg }
func (e hinted) Unwrap() error { return e.err }
