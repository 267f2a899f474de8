package study

import (
	"math"
	"strings"
	"testing"
)

// A law that declines some sizes leaves a dash in the tables and a note in
// the caption, never the string NaN.
func TestNoNaNInTables(t *testing.T) {
	for _, v := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		if got := num(v); got != "—" {
			t.Errorf("num(%v) = %q, want —", v, got)
		}
	}
	if got := num(0.5); got != "0.5" {
		t.Errorf("num(0.5) = %q", got)
	}
	if allFinite([]float64{1, math.NaN()}) || !allFinite([]float64{1, 2}) {
		t.Error("allFinite")
	}
	if n := notDrawnNote([]string{"theory.A", "theory.B"}); !strings.Contains(n, "theory.A and theory.B") {
		t.Errorf("note %q", n)
	}
	if notDrawnNote(nil) != "" {
		t.Error("note without missing laws")
	}
}
