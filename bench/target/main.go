// Command target times the large-C targets of the structured path: ρ, R and
// the largest eigenvalue of H without forming it.
//
//	go run -tags openblas ./bench/target -model linear -C 100000 -d 128 -N 1024
//	go run -tags openblas ./bench/target -model mlp -C 10000 -m 64 -d 128 -N 1024
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"runtime"
	"time"

	"github.com/hessblock/hessblock/kind"
	"github.com/hessblock/hessblock/krylov"
	"github.com/hessblock/hessblock/numerics"
)

func main() {
	model := flag.String("model", "linear", "linear or mlp")
	act := flag.String("activation", "relu", "MLP activation")
	c := flag.Int("C", 100000, "classes")
	d := flag.Int("d", 128, "input dimension")
	n := flag.Int("N", 1024, "samples")
	m := flag.Int("m", 64, "hidden width (mlp)")
	iters := flag.Int("lanczos", 30, "Lanczos steps for λmax (0 skips)")
	flag.Parse()
	cfg := numerics.Config{Model: kind.Linear, Loss: kind.CE, C: *c, D: *d, N: *n, Sigma: 1, Seed: 1}
	if *model == "mlp" {
		cfg = numerics.Config{Model: kind.MLP, Activation: kind.Activation(*act), Loss: kind.CE, C: *c, D: *d, N: *n, M: *m, SigmaW: 1, SigmaV: 1, Seed: 1}
	}
	p, err := numerics.NewProblem(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	fmt.Printf("%s  P=%d  BLAS=%s\n", cfg, p.NumParams(), numerics.BLASBackend)
	t0 := time.Now()
	st, err := p.StructuredStats(numerics.StructuredOptions{SkipBlockNorms: true})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	ts := time.Since(t0)
	fmt.Printf("structured: ρ=%.6g", st.Rho)
	for _, r := range st.Ratios {
		fmt.Printf("  R[%s]=%.6g", r.Family, r.R)
	}
	fmt.Printf("  in %.2f s\n", ts.Seconds())
	if *iters > 0 {
		t1 := time.Now()
		ev, err := p.ExtremeEigenvalues(krylov.LanczosOptions{MaxIter: *iters, Tol: 1e-8, Seed: 1, Reorth: krylov.ReorthNone, LargestOnly: true})
		if err != nil && !errors.Is(err, krylov.ErrNotConverged) {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Printf("lanczos: λmax=%.8g (residual %.1e) λmin=%.3g after %d steps in %.2f s\n", ev.Max, ev.MaxResidual, ev.Min, ev.Iterations, time.Since(t1).Seconds())
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Printf("total %.2f s, peak heap ≈ %.2f GiB (Sys)\n", time.Since(t0).Seconds(), float64(ms.Sys)/(1<<30))
}
