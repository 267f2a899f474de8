package hessblock_test

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"

	"codeberg.org/sbinet/npyio"
	"gonum.org/v1/gonum/mat"

	"github.com/hessblock/hessblock/internal/loadmodel"
	"github.com/hessblock/hessblock/kind"
	"github.com/hessblock/hessblock/modelfile"
	"github.com/hessblock/hessblock/numerics"
)

// loadedProblem builds, through loadmodel (the path of inspect -load), the
// numerics problem of a network given as the arguments of newDeepNet.
func loadedProblem(t *testing.T, ws []mat.Matrix, bs [][]float64, x *mat.Dense, y []int, act kind.Activation, loss kind.Loss) *numerics.Problem {
	t.Helper()
	m := &modelfile.Model{X: x, Labels: y, Format: modelfile.FormatNPZ, Biases: make([][]float64, len(ws))}
	for l, w := range ws {
		m.Weights = append(m.Weights, mat.DenseCopyOf(w))
		if bs != nil {
			m.Biases[l] = bs[l]
		}
	}
	ch := loadmodel.Choices{Loss: loss}
	if len(ws) > 1 {
		ch.Activation = act
	}
	cfg, err := loadmodel.Config(m, ch)
	if err != nil {
		t.Fatal(err)
	}
	p, err := loadmodel.Problem(m, cfg, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestDeepNumericsMatchesAutodiff: for L = 2, 3, 4, with and without
// biases, every activation and loss, numerics' dense Hessian equals the
// hyper-dual reference to 1e−10 relative (max |Δ| / max |H|; both are exact
// to round-off, so this is ~1e5 ε of margin), its Gauss–Newton part equals
// gaussNewtonDeep to 1e−10, and H·v by the R-operator equals H v to 1e−10
// (max |Δ| / max |H v|) for a seeded v.
func TestDeepNumericsMatchesAutodiff(t *testing.T) {
	dimsOf := map[int][]int{2: {3, 4, 3}, 3: {4, 3, 2, 3}, 4: {3, 3, 2, 3, 2}}
	i := 0
	for L := 2; L <= 4; L++ {
		for _, bias := range []bool{false, true} {
			for _, act := range kind.Activations {
				for _, loss := range kind.Losses {
					i++
					seed := uint64(500 + i)
					t.Run(fmt.Sprintf("L=%d/bias=%v/%s/%s", L, bias, act, loss), func(t *testing.T) {
						ws, bs, x, y := drawDeepLayers(seed, dimsOf[L], bias, 7)
						net, err := newDeepNet(ws, bs, x, y, act, loss)
						if err != nil {
							t.Fatal(err)
						}
						ref, err := autodiffDeep(net)
						if err != nil {
							t.Fatal(err)
						}
						p := loadedProblem(t, ws, bs, x, y, act, loss)
						h, err := p.Hessian()
						if err != nil {
							t.Fatal(err)
						}
						if e := deepRelErr(h, ref.hess); e > 1e-10 {
							t.Errorf("Hessian: relative error %.1e > 1e−10", e)
						}
						g, err := p.GaussNewton()
						if err != nil {
							t.Fatal(err)
						}
						gRef, err := gaussNewtonDeep(net)
						if err != nil {
							t.Fatal(err)
						}
						if e := deepRelErr(g, gRef); e > 1e-10 {
							t.Errorf("Gauss–Newton: relative error %.1e > 1e−10", e)
						}
						n := p.NumParams()
						v := make([]float64, n)
						for j := range v {
							v[j] = math.Sin(float64(7*j) + float64(seed))
						}
						hv, err := p.HessVec(nil, v)
						if err != nil {
							t.Fatal(err)
						}
						var want mat.VecDense
						want.MulVec(ref.hess, mat.NewVecDense(n, v))
						if e := deepRelErr(mat.NewVecDense(n, hv), &want); e > 1e-10 {
							t.Errorf("H·v: relative error %.1e > 1e−10", e)
						}
					})
				}
			}
		}
	}
}

// TestStructuredMatchesDenseWithBias: for L = 1 with a bias (an LM head),
// the structured statistics (Gram identities on inputs augmented by a
// constant 1) equal the dense ones to 1e−10 relative: R, ρ, ‖H‖_F.
func TestStructuredMatchesDenseWithBias(t *testing.T) {
	for _, loss := range kind.Losses {
		t.Run(string(loss), func(t *testing.T) {
			ws, bs, x, y := drawDeepLayers(77, []int{5, 6}, true, 12)
			p := loadedProblem(t, ws, bs, x, y, "", loss)
			dense, err := numerics.Measure(p, numerics.MeasureOptions{Method: numerics.StatsDense})
			if err != nil {
				t.Fatal(err)
			}
			st, err := numerics.Measure(p, numerics.MeasureOptions{Method: numerics.StatsStructured})
			if err != nil {
				t.Fatal(err)
			}
			if st.Method != numerics.StatsStructured {
				t.Fatalf("method %s", st.Method)
			}
			near := func(what string, got, want float64) {
				if math.Abs(got-want) > 1e-10*math.Abs(want) && math.Abs(got-want) > 1e-14 {
					t.Errorf("%s: structured %v, dense %v", what, got, want)
				}
			}
			near("ρ", st.Summary.Rho, dense.Summary.Rho)
			near("‖H‖_F", st.Frobenius(), dense.Frobenius())
			for k, r := range dense.Summary.Ratios {
				near("R "+string(r.Family), st.Summary.Ratios[k].R, r.R)
			}
		})
	}
}

// TestFixtureThroughLoad: each committed PyTorch fixture, read by modelfile
// and built by loadmodel as inspect -load does, gives the statistics
// torch_deep_check.py recorded (R per family, ρ, ‖H‖_F, λmax to 1e−10
// relative) and torch.autograd's Hessian to 1e−10 relative, from both its
// .npz (activation and loss given) and its .safetensors (from metadata).
func TestFixtureThroughLoad(t *testing.T) {
	for _, name := range deepFixtures {
		base := filepath.Join("testdata", "models", name)
		var want struct {
			R         map[string]float64 `json:"R"`
			Rho       float64            `json:"rho"`
			Frobenius float64            `json:"frobenius"`
			LambdaMax float64            `json:"lambda_max"`
			Act       kind.Activation    `json:"activation"`
			Loss      kind.Loss          `json:"loss"`
		}
		raw, err := os.ReadFile(base + ".stats.json")
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(raw, &want); err != nil {
			t.Fatal(err)
		}
		torchH := readFixtureHessian(t, base+".hessian.npy")
		for _, c := range []struct {
			ext string
			ch  loadmodel.Choices
		}{{".npz", loadmodel.Choices{Activation: want.Act, Loss: want.Loss}}, {".safetensors", loadmodel.Choices{}}} {
			t.Run(name+c.ext, func(t *testing.T) {
				m, err := loadmodel.Read(base + c.ext)
				if err != nil {
					t.Fatal(err)
				}
				cfg, err := loadmodel.Config(m, c.ch)
				if err != nil {
					t.Fatal(err)
				}
				p, err := loadmodel.Problem(m, cfg, nil, nil)
				if err != nil {
					t.Fatal(err)
				}
				res, err := numerics.Measure(p, numerics.MeasureOptions{Method: numerics.StatsDense, LambdaMax: true, KeepHessian: true})
				if err != nil {
					t.Fatal(err)
				}
				if e := deepRelErr(res.Hessian, torchH); e > 1e-10 {
					t.Errorf("Hessian vs torch: relative error %.1e > 1e−10", e)
				}
				near := func(what string, got, want float64) {
					if math.Abs(got-want) > 1e-10*math.Abs(want) && math.Abs(got-want) > 1e-14 {
						t.Errorf("%s = %v, torch_deep_check %v", what, got, want)
					}
				}
				near("ρ", res.Summary.Rho, want.Rho)
				near("‖H‖_F", res.Frobenius(), want.Frobenius)
				near("λmax", res.LambdaMax, want.LambdaMax)
				if len(res.Summary.Ratios) != len(want.R) {
					t.Errorf("%d families, torch_deep_check %d", len(res.Summary.Ratios), len(want.R))
				}
				for _, r := range res.Summary.Ratios {
					w, ok := want.R[string(r.Family)]
					if !ok {
						t.Errorf("family %s not in stats.json", r.Family)
					}
					near("R "+string(r.Family), r.R, w)
				}
			})
		}
	}
}

func readFixtureHessian(t *testing.T, path string) *mat.Dense {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var h mat.Dense
	if err := npyio.Read(f, &h); err != nil {
		t.Fatal(err)
	}
	return &h
}
