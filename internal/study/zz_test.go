package study

import (
	"context"
	"testing"
	"time"
)

func TestZZ(t *testing.T) {
	f := SpecFitOptions{D: 64, N: 256, M: 8, C: 8, Depth: 3, Blocks: 4, Steps: 200, LR: 0.5, Bootstrap: 4}
	t0 := time.Now()
	cases, err := f.measureSpecFits(context.Background(), 2)
	if err != nil {
		t.Fatal(err)
	}
	t.Log(time.Since(t0))
	for _, c := range cases {
		for i, ft := range c.Fits {
			if ft == nil {
				t.Logf("%s: %v", c.Label, c.Errs[i])
				continue
			}
			t.Logf("%s: %v params %v ± %v KS %.3f edge %.3f spikes %d", c.Label, ft.Model, ft.Params, ft.StdErr, ft.KS, ft.Edge, ft.Spikes)
		}
	}
}
