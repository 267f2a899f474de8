// Command peer times hessblock's dense Hessian and block statistics for the
// side-by-side comparison with PyTorch autograd (run.sh). For each size it
// writes the problem (X, labels, W as little-endian float64/int64) to a
// directory so that torch_hessian.py computes the same Hessian, and prints
// one line of JSON: sizes, seconds, ρ and ‖H‖_F².
package main

import (
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/hessblock/hessblock/internal/atomicfile"
	"github.com/hessblock/hessblock/kind"
	"github.com/hessblock/hessblock/numerics"
)

func main() {
	sizes := flag.String("P", "500,2000,4000", "comma-separated parameter counts P = C·d (d = 100)")
	n := flag.Int("N", 500, "samples")
	d := flag.Int("d", 100, "input dimension")
	reps := flag.Int("reps", 3, "timed repetitions (the minimum is reported)")
	dir := flag.String("dir", os.TempDir(), "where to write the problems")
	flag.Parse()
	for _, s := range strings.Split(*sizes, ",") {
		np, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || np < 2**d || np%*d != 0 {
			fmt.Fprintf(os.Stderr, "peer: bad size %q (want a multiple of d = %d, ≥ 2d)\n", s, *d)
			os.Exit(2)
		}
		if err := run(np / *d, *d, *n, *reps, *dir); err != nil {
			fmt.Fprintln(os.Stderr, "peer:", err)
			os.Exit(1)
		}
	}
}

func run(c, d, n, reps int, dir string) error {
	cfg := numerics.Config{Model: kind.Linear, Loss: kind.CE, C: c, D: d, N: n, Sigma: 1, Seed: 1}
	p, err := numerics.NewProblem(cfg)
	if err != nil {
		return err
	}
	p.MaxDenseBytes = 16 << 30
	prefix := filepath.Join(dir, fmt.Sprintf("peer-P%d", p.NumParams()))
	labels := make([]float64, n)
	for i, y := range p.Labels() {
		labels[i] = float64(y)
	}
	for name, data := range map[string][]float64{"x": p.X().RawMatrix().Data, "y": labels, "w": p.W().RawMatrix().Data} {
		if err := writeAtomic(prefix+"-"+name+".bin", data); err != nil {
			return err
		}
	}
	best := math.Inf(1)
	var st *numerics.BlockStats
	for r := 0; r < reps; r++ {
		t0 := time.Now()
		h, err := p.Hessian()
		if err != nil {
			return err
		}
		st, err = numerics.ComputeBlockStats(h, p.Layout())
		if err != nil {
			return err
		}
		best = math.Min(best, time.Since(t0).Seconds())
	}
	out, _ := json.Marshal(map[string]any{
		"impl": "hessblock", "blas": numerics.BLASBackend, "P": p.NumParams(), "C": c, "d": d, "N": n,
		"seconds": best, "rho": st.Rho, "frobenius_sq": st.Summary.FrobeniusSq, "prefix": prefix,
	})
	fmt.Println(string(out))
	return nil
}

func writeAtomic(path string, data []float64) error {
	return atomicfile.Write(path, func(w io.Writer) error { return binary.Write(w, binary.LittleEndian, data) })
}
