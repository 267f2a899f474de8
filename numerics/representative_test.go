package numerics

import (
	"testing"

	"github.com/hessblock/hessblock/kind"
)

// Representative picks the first pair of the family's kinds, and reports a
// kind with a single block as having no pair.
func TestLayoutRepresentative(t *testing.T) {
	cfg := DefaultConfig(kind.MLP)
	cfg.M, cfg.C = 1, 3
	l := cfg.Layout()
	h, o := l.Of(kind.Hidden), l.Of(kind.Output)
	for _, c := range []struct {
		f    kind.Family
		a, b int
		ok   bool
	}{
		{kind.HiddenHidden, h[0], h[0], false},
		{kind.OutputOutput, o[0], o[1], true},
		{kind.HiddenOutput, h[0], o[0], true},
	} {
		if a, b, ok := l.Representative(c.f); a != c.a || b != c.b || ok != c.ok {
			t.Errorf("%s: (%d, %d, %v), want (%d, %d, %v)", c.f, a, b, ok, c.a, c.b, c.ok)
		}
	}
}
