package inspect

import (
	"encoding/json"
	"runtime"
	"testing"

	"github.com/hessblock/hessblock/internal/membudget"
	"github.com/hessblock/hessblock/kind"
	"github.com/hessblock/hessblock/numerics"
)

// The JSON carries the process's peak RSS and the budget's estimate, both
// positive (the RSS on Linux, where getrusage reports it), on the dense
// and on the structured path.
func TestResultReportsMemory(t *testing.T) {
	cfg := numerics.Config{Model: kind.Linear, Loss: kind.CE, C: 30, D: 8, N: 40, Sigma: 1, Seed: 2}
	for _, maxDense := range []int64{0, 1} { // default: dense; 1 byte: structured
		_, res := measured(t, cfg, maxDense)
		b, err := json.Marshal(res)
		if err != nil {
			t.Fatal(err)
		}
		var got map[string]any
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatal(err)
		}
		est, ok := got["estimated_bytes"].(float64)
		if !ok || est <= 0 {
			t.Errorf("%s: estimated_bytes = %v, want a positive number", res.Method, got["estimated_bytes"])
		}
		if lz := cfg.LambdaMaxBytes(membudget.Limit()); res.Method == string(numerics.StatsStructured) && int64(est) < lz {
			t.Errorf("structured: estimated_bytes %v below the Lanczos estimate %d", est, lz)
		}
		rss, ok := got["peak_rss_bytes"].(float64)
		if !ok {
			t.Errorf("%s: peak_rss_bytes missing from %s", res.Method, b)
		}
		if runtime.GOOS == "linux" && rss <= 0 {
			t.Errorf("%s: peak_rss_bytes = %v on Linux, want > 0", res.Method, rss)
		}
	}
}
