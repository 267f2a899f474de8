package study

import (
	"strings"
	"testing"

	"github.com/hessblock/hessblock/internal/membudget"
)

// The shipped reproductions fit modest budgets, and the estimate of a
// huge grid is refused by arithmetic, not by listing its points.
func TestMemoryEstimate(t *testing.T) {
	if b := Default().MemoryBytes(); b > 1<<30 {
		t.Errorf("the default reproduction is estimated at %s, want ≤ 1 GiB", membudget.Format(b))
	}
	if b := Quick().MemoryBytes(); b > 16<<20 {
		t.Errorf("the quick reproduction is estimated at %s, want ≤ 16 MiB", membudget.Format(b))
	}
	o := Quick()
	o.Seeds = 1 << 40
	err := o.CheckMemory(64 << 20)
	if !membudget.IsOver(err) || !strings.Contains(err.Error(), "-seeds ") {
		t.Errorf("2^40 seeds: %v", err)
	}
	o = Quick()
	o.CMax = 1 << 31
	if err := o.Validate(); err == nil || !strings.Contains(err.Error(), "cmax") {
		t.Errorf("cmax = 2^31: %v", err)
	}
}
