package figures

import (
	"testing"

	"gonum.org/v1/plot"
)

// Linear axes are labelled without gonum's padding zeros ("0.00", "2.50").
func TestTrimmedTicks(t *testing.T) {
	for _, r := range [][2]float64{{0, 25}, {0, 2.6}, {-0.023, -0.002}, {0.01, 0.18}} {
		for _, tk := range (trimmedTicks{plot.DefaultTicks{}}).Ticks(r[0], r[1]) {
			l := tk.Label
			if l == "" {
				continue
			}
			if n := len(l); l[n-1] == '0' && containsDot(l) || l[n-1] == '.' || l == "-0" {
				t.Errorf("range %v: label %q keeps padding", r, l)
			}
		}
	}
}

func containsDot(s string) bool {
	for _, c := range s {
		if c == '.' {
			return true
		}
	}
	return false
}

// Every log axis carries at least two labels, however short its range
// (a range inside 0.1–0.2 used to get none).
func TestLogTicksLabelShortRanges(t *testing.T) {
	for _, r := range [][2]float64{{0.115, 0.17}, {0.12, 0.33}, {0.02, 0.08}, {3, 1000}, {1e-4, 1}, {0.9, 1.1}} {
		n := 0
		for _, tk := range (logTicks{}).Ticks(r[0], r[1]) {
			if tk.Label != "" {
				if tk.Value < r[0] || tk.Value > r[1] {
					t.Errorf("range %v: label %q outside it", r, tk.Label)
				}
				n++
			}
		}
		if n < 2 {
			t.Errorf("range %v: %d labels, want ≥ 2", r, n)
		}
	}
}
