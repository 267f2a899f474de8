package numerics

import (
	"errors"
	"fmt"
	"math"
	"testing"

	"github.com/hessblock/hessblock/datasets"
	"github.com/hessblock/hessblock/kind"
	"gonum.org/v1/gonum/mat"
)

func TestInvalidConfigs(t *testing.T) {
	lin := DefaultConfig(kind.Linear)
	mlp := DefaultConfig(kind.MLP)
	with := func(c Config, f func(*Config)) Config { f(&c); return c }
	nan, inf := math.NaN(), math.Inf(1)

	cases := []struct {
		name string
		cfg  Config
	}{
		{"zero value", Config{}},
		{"C=1", with(lin, func(c *Config) { c.C = 1 })},
		{"C=0", with(lin, func(c *Config) { c.C = 0 })},
		{"C<0", with(mlp, func(c *Config) { c.C = -4 })},
		{"d=0", with(lin, func(c *Config) { c.D = 0 })},
		{"d<0", with(mlp, func(c *Config) { c.D = -3 })},
		{"N=0", with(lin, func(c *Config) { c.N = 0 })},
		{"N<0", with(mlp, func(c *Config) { c.N = -1 })},
		{"mlp m=0", with(mlp, func(c *Config) { c.M = 0 })},
		{"mlp m<0", with(mlp, func(c *Config) { c.M = -2 })},
		{"linear m given", with(lin, func(c *Config) { c.M = 4 })},
		{"sigma NaN", with(lin, func(c *Config) { c.Sigma = nan })},
		{"sigma +Inf", with(lin, func(c *Config) { c.Sigma = inf })},
		{"sigma -Inf", with(lin, func(c *Config) { c.Sigma = -inf })},
		{"sigma<0", with(lin, func(c *Config) { c.Sigma = -0.5 })},
		{"sigma_w NaN", with(mlp, func(c *Config) { c.SigmaW = nan })},
		{"sigma_w +Inf", with(mlp, func(c *Config) { c.SigmaW = inf })},
		{"sigma_w<0", with(mlp, func(c *Config) { c.SigmaW = -1 })},
		{"sigma_v NaN", with(mlp, func(c *Config) { c.SigmaV = nan })},
		{"sigma_v +Inf", with(mlp, func(c *Config) { c.SigmaV = inf })},
		{"sigma_v<0", with(mlp, func(c *Config) { c.SigmaV = -1 })},
		{"sigma for mlp", with(mlp, func(c *Config) { c.Sigma = 1 })},
		{"sigma_w for linear", with(lin, func(c *Config) { c.SigmaW = 1 })},
		{"sigma_v for linear", with(lin, func(c *Config) { c.SigmaV = 1 })},
		{"unknown model", with(lin, func(c *Config) { c.Model = "cnn" })},
		{"empty model", with(lin, func(c *Config) { c.Model = "" })},
		{"unknown loss", with(lin, func(c *Config) { c.Loss = "hinge" })},
		{"empty loss", with(mlp, func(c *Config) { c.Loss = "" })},
		{"unknown activation", with(mlp, func(c *Config) { c.Activation = "sigmoid" })},
		{"empty activation", with(mlp, func(c *Config) { c.Activation = "" })},
		// Parse accepts any case; a Config must hold the canonical name,
		// or the forward pass would not recognize it.
		{"non-canonical activation", with(mlp, func(c *Config) { c.Activation = "ReLU" })},
		{"non-canonical model", with(lin, func(c *Config) { c.Model = "Linear" })},
		{"non-canonical loss", with(lin, func(c *Config) { c.Loss = "CE" })},
		{"relu for linear", with(lin, func(c *Config) { c.Activation = kind.ReLU })},
		{"tanh for linear", with(lin, func(c *Config) { c.Activation = kind.Tanh })},
		// Sizes whose products overflow int would make allocation panic.
		{"N·d overflows", with(lin, func(c *Config) { c.N, c.D = math.MaxInt/2, 4 })},
		{"C·d overflows", with(lin, func(c *Config) { c.C, c.D = math.MaxInt/3, 5 })},
		{"m·d overflows", with(mlp, func(c *Config) { c.M, c.D = math.MaxInt/2, 3 })},
		{"N·m overflows", with(mlp, func(c *Config) { c.N, c.M = math.MaxInt/2, 3 })},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			noPanic(t, "Validate", func() error {
				err := tc.cfg.Validate()
				if err != nil && !errors.Is(err, ErrInvalidConfig) {
					return fmt.Errorf("error does not wrap ErrInvalidConfig: %w", err)
				}
				return err
			})
			noPanic(t, "NewProblem", func() error {
				p, err := NewProblem(tc.cfg)
				if err == nil && p == nil {
					return errors.New("nil problem without error")
				}
				return err
			})
			if tc.name == "d=0" || tc.name == "N=0" {
				// NewProblemWithData reads a zero N or d from X, so these
				// configurations are valid there.
				return
			}
			noPanic(t, "NewProblemWithData", func() error {
				// Data of a valid shape, so that only the configuration is at fault.
				n, d := max(tc.cfg.N, 1), max(tc.cfg.D, 1)
				if n*d > 1<<16 || n*d <= 0 {
					n, d = 3, 2
				}
				_, err := NewProblemWithData(tc.cfg, mat.NewDense(n, d, nil), make([]int, n))
				return err
			})
		})
	}
}

func TestValidConfigs(t *testing.T) {
	// The other side of the table: what must be accepted.
	for _, cfg := range append(smallConfigs(),
		Config{Model: kind.Linear, Activation: kind.Identity, Loss: kind.MSE, C: 2, D: 1, N: 1, Sigma: 0},
		Config{Model: kind.MLP, Activation: kind.Identity, Loss: kind.CE, C: 2, D: 1, N: 1, M: 1},
	) {
		if err := cfg.Validate(); err != nil {
			t.Errorf("%v: %v", cfg, err)
		}
	}
}

func TestInvalidData(t *testing.T) {
	cfg := Config{Model: kind.Linear, Loss: kind.CE, C: 3, D: 4, N: 5, Sigma: 1, Seed: 1}
	good := func() (*mat.Dense, []int) {
		set, err := datasets.Gaussian(cfg.N, cfg.D, cfg.C, 7)
		if err != nil {
			t.Fatal(err)
		}
		return set.X, set.Labels
	}
	withX := func(f func(*mat.Dense)) *mat.Dense { x, _ := good(); f(x); return x }
	withY := func(f func([]int) []int) []int { _, y := good(); return f(y) }
	x0, y0 := good()
	var nilDense *mat.Dense

	cases := []struct {
		name   string
		x      mat.Matrix
		labels []int
	}{
		{"nil X", nil, y0},
		{"typed nil X", nilDense, y0},
		{"empty X", &mat.Dense{}, y0},
		{"too few rows", mat.NewDense(cfg.N-1, cfg.D, nil), y0},
		{"too many rows", mat.NewDense(cfg.N+1, cfg.D, nil), y0},
		{"too few cols", mat.NewDense(cfg.N, cfg.D-1, nil), y0},
		{"too many cols", mat.NewDense(cfg.N, cfg.D+1, nil), y0},
		{"transposed", mat.NewDense(cfg.D, cfg.N, nil), y0},
		{"no labels", x0, nil},
		{"too few labels", x0, y0[:cfg.N-1]},
		{"too many labels", x0, append(append([]int(nil), y0...), 0)},
		{"label = C", x0, withY(func(y []int) []int { y[2] = cfg.C; return y })},
		{"label > C", x0, withY(func(y []int) []int { y[0] = 100; return y })},
		{"negative label", x0, withY(func(y []int) []int { y[4] = -1; return y })},
		{"NaN in X", withX(func(x *mat.Dense) { x.Set(1, 2, math.NaN()) }), y0},
		{"+Inf in X", withX(func(x *mat.Dense) { x.Set(0, 0, math.Inf(1)) }), y0},
		{"-Inf in X", withX(func(x *mat.Dense) { x.Set(4, 3, math.Inf(-1)) }), y0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			noPanic(t, "NewProblemWithData", func() error {
				_, err := NewProblemWithData(cfg, tc.x, tc.labels)
				return err
			})
			// With N and d left to be read from X.
			c := cfg
			c.N, c.D = 0, 0
			if tc.x != nil && tc.x != mat.Matrix(nilDense) {
				if r, k := tc.x.Dims(); r == cfg.N && k == cfg.D {
					noPanic(t, "NewProblemWithData (N, d from X)", func() error {
						_, err := NewProblemWithData(c, tc.x, tc.labels)
						return err
					})
				}
			}
		})
	}

	// The data must be copied: changing the caller's X afterwards changes nothing.
	x, y := good()
	p, err := NewProblemWithData(cfg, x, y)
	if err != nil {
		t.Fatal(err)
	}
	before := p.Loss()
	x.Set(0, 0, math.NaN())
	y[0] = -1
	if after := p.Loss(); after != before {
		t.Errorf("loss changed from %v to %v after the caller changed its data", before, after)
	}
}

func TestInvalidProblemInputs(t *testing.T) {
	var nilDense *mat.Dense
	for _, cfg := range []Config{
		{Model: kind.Linear, Loss: kind.CE, C: 3, D: 4, N: 6, Sigma: 1, Seed: 1},
		{Model: kind.MLP, Activation: kind.ReLU, Loss: kind.MSE, C: 3, D: 4, N: 6, M: 2, SigmaW: 1, SigmaV: 1, Seed: 1},
	} {
		t.Run(string(cfg.Model), func(t *testing.T) {
			p := mustProblem(t, cfg)
			np := p.NumParams()
			theta := p.Params()
			wr, wc := p.W().Dims()
			vec := func(n int, bad float64) []float64 {
				v := make([]float64, n)
				if n > 0 {
					v[n/2] = bad
				}
				return v
			}

			check := func(what string, f func() error) {
				t.Helper()
				noPanic(t, what, f)
				// A failed call must leave the parameters as they were.
				if got := p.Params(); RelativeError(got, theta) != 0 {
					t.Errorf("%s changed the parameters", what)
				}
			}
			mustPanic(t, "SetParams(nil)", func() { p.SetParams(nil) })
			mustPanic(t, "SetParams(short)", func() { p.SetParams(vec(np-1, 0)) })
			mustPanic(t, "SetParams(long)", func() { p.SetParams(vec(np+1, 0)) })
			check("SetParams(NaN)", func() error { return p.SetParams(vec(np, math.NaN())) })
			check("SetParams(+Inf)", func() error { return p.SetParams(vec(np, math.Inf(1))) })
			check("SetParams(-Inf)", func() error { return p.SetParams(vec(np, math.Inf(-1))) })

			v := p.V()
			check("SetWeights(nil W)", func() error { return p.SetWeights(nil, v) })
			check("SetWeights(typed nil W)", func() error { return p.SetWeights(nilDense, v) })
			check("SetWeights(empty W)", func() error { return p.SetWeights(&mat.Dense{}, v) })
			check("SetWeights(W wrong rows)", func() error { return p.SetWeights(mat.NewDense(wr+1, wc, nil), v) })
			check("SetWeights(W wrong cols)", func() error { return p.SetWeights(mat.NewDense(wr, wc+1, nil), v) })
			check("SetWeights(W transposed)", func() error { return p.SetWeights(mat.NewDense(wc, wr, nil), v) })
			nanW := mat.DenseCopyOf(p.W())
			nanW.Set(0, 1, math.NaN())
			check("SetWeights(W NaN)", func() error { return p.SetWeights(nanW, v) })
			if cfg.Model == kind.Linear {
				check("SetWeights(V for linear)", func() error { return p.SetWeights(p.W(), mat.NewDense(3, 2, nil)) })
			} else {
				vr, vc := v.Dims()
				w := p.W()
				check("SetWeights(nil V)", func() error { return p.SetWeights(w, nil) })
				check("SetWeights(typed nil V)", func() error { return p.SetWeights(w, nilDense) })
				check("SetWeights(V wrong rows)", func() error { return p.SetWeights(w, mat.NewDense(vr+1, vc, nil)) })
				check("SetWeights(V wrong cols)", func() error { return p.SetWeights(w, mat.NewDense(vr, vc+1, nil)) })
				infV := mat.DenseCopyOf(v)
				infV.Set(1, 0, math.Inf(-1))
				check("SetWeights(V -Inf)", func() error { return p.SetWeights(w, infV) })
			}

			mustPanic(t, "HessVec(nil)", func() { p.HessVec(nil, nil) })
			mustPanic(t, "HessVec(short)", func() { p.HessVec(nil, vec(np-1, 0)) })
			mustPanic(t, "HessVec(long)", func() { p.HessVec(make([]float64, np), vec(np+1, 0)) })
			op := p.HessVecOperator()
			mustPanic(t, "HessVecOperator(short)", func() { op(nil, vec(np-1, 0)) })
			check("HessVec(NaN)", func() error { _, err := p.HessVec(nil, vec(np, math.NaN())); return err })

			nb := len(p.Layout().Blocks)
			for _, ab := range [][2]int{{-1, 0}, {0, -1}, {nb, 0}, {0, nb}, {nb, nb}, {math.MinInt, math.MaxInt}} {
				mustPanic(t, fmt.Sprintf("Block(%d, %d)", ab[0], ab[1]), func() { p.Block(ab[0], ab[1]) })
			}

			h, err := p.Hessian()
			if err != nil {
				t.Fatal(err)
			}
			other := cfg
			other.C++
			check("ComputeBlockStats(layout too large)", func() error { _, err := ComputeBlockStats(h, other.Layout()); return err })
			other.C -= 2
			check("ComputeBlockStats(layout too small)", func() error { _, err := ComputeBlockStats(h, other.Layout()); return err })
			check("ComputeBlockStats(empty layout)", func() error { _, err := ComputeBlockStats(h, Layout{}); return err })
			check("ComputeBlockStats(nil H)", func() error { _, err := ComputeBlockStats(nil, p.Layout()); return err })
			check("BlockOfMatrix(wrong layout)", func() error { _, err := BlockOfMatrix(h, other.Layout(), 0, 0); return err })
			mustPanic(t, "BlockOfMatrix(out of range)", func() { BlockOfMatrix(h, p.Layout(), nb, 0) })
			check("BlockSpectralNorms(wrong layout)", func() error { _, err := BlockSpectralNorms(h, other.Layout()); return err })

			p.MaxDenseBytes = 8
			check("Hessian over the memory guard", func() error {
				_, err := p.Hessian()
				var tooLarge *DenseTooLargeError
				if err != nil && !errors.As(err, &tooLarge) {
					return fmt.Errorf("not a *DenseTooLargeError: %w", err)
				}
				return err
			})
		})
	}
}
