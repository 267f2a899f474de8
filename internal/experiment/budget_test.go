package experiment

import (
	"strings"
	"testing"

	"github.com/hessblock/hessblock/internal/membudget"
)

func TestMemoryEstimate(t *testing.T) {
	for _, data := range DataSets {
		s, err := Defaults(data)
		if err != nil {
			t.Fatal(err)
		}
		if b := s.MemoryBytes(); b > 1<<30 {
			t.Errorf("%s: the default run is estimated at %s, want ≤ 1 GiB", data, membudget.Format(b))
		}
	}
	// The reproduction's largest training run: Go text at C = 10⁴.
	s, _ := Defaults(GoText)
	s.C, s.N = 10000, 2000
	if b := s.MemoryBytes(); b > 2<<30 {
		t.Errorf("gotext at C = 10⁴ is estimated at %s, want ≤ 2 GiB", membudget.Format(b))
	}
	s, _ = Defaults(Gaussian)
	s.N, s.D = 1000000, 1000
	err := s.CheckMemory(64 << 20)
	if !membudget.IsOver(err) || !strings.Contains(err.Error(), "-N ") {
		t.Fatalf("N = 10⁶, d = 1000 in 64 MiB: %v", err)
	}
	if err := s.CheckMemory(1 << 50); err != nil {
		t.Errorf("in 1 PiB: %v", err)
	}
}
