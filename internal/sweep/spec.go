package sweep

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/hessblock/hessblock/internal/membudget"
	"io"
	"strconv"
	"strings"

	"github.com/hessblock/hessblock/kind"
	"github.com/hessblock/hessblock/numerics"
)

// Spec is a grid of configurations: the Cartesian product of its lists.
// Activations, M, SigmaW and SigmaV apply to the MLP only, Sigma to the
// linear model only.
type Spec struct {
	Models      []string  `json:"models"`
	Losses      []string  `json:"losses"`
	Activations []string  `json:"activations,omitempty"`
	C           []int     `json:"C"`
	D           []int     `json:"d"`
	N           []int     `json:"N"`
	M           []int     `json:"m,omitempty"`
	Sigma       []float64 `json:"sigma,omitempty"`
	SigmaW      []float64 `json:"sigma_w,omitempty"`
	SigmaV      []float64 `json:"sigma_v,omitempty"`
	Seeds       []uint64  `json:"seeds"`
}

// DefaultSpec is a small grid over both models and losses: linear and ReLU
// MLP, MSE and CE, C = 2…32, d = 32, N = 128, m = 16, unit scales, 3 seeds.
func DefaultSpec() Spec {
	return Spec{
		Models:      []string{"linear", "mlp"},
		Losses:      []string{"mse", "ce"},
		Activations: []string{"relu"},
		C:           []int{2, 4, 8, 16, 32},
		D:           []int{32},
		N:           []int{128},
		M:           []int{16},
		Sigma:       []float64{1},
		SigmaW:      []float64{1},
		SigmaV:      []float64{1},
		Seeds:       []uint64{1, 2, 3},
	}
}

// ReadSpec decodes a JSON spec, rejecting unknown fields and trailing data.
func ReadSpec(r io.Reader) (Spec, error) {
	var s Spec
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return Spec{}, fmt.Errorf("sweep: decoding spec: %w", err)
	}
	if dec.More() {
		return Spec{}, errors.New("sweep: decoding spec: trailing data after the JSON object")
	}
	return s, nil
}

// Point is one configuration of a grid.
type Point struct {
	Index  int // position in the grid's order
	Key    string
	Config numerics.Config
}

// Key is the canonical name of a configuration: every field that
// determines the numbers, in a fixed order.
func Key(c numerics.Config) string {
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	if c.Model == kind.MLP {
		return fmt.Sprintf("mlp/%s/%s/C=%d/d=%d/N=%d/m=%d/sigma_w=%s/sigma_v=%s/seed=%d",
			c.Activation, c.Loss, c.C, c.D, c.N, c.M, f(c.SigmaW), f(c.SigmaV), c.Seed)
	}
	return fmt.Sprintf("linear/%s/C=%d/d=%d/N=%d/sigma=%s/seed=%d", c.Loss, c.C, c.D, c.N, f(c.Sigma), c.Seed)
}

// MaxPoints bounds a grid (and the memory budget, at PointBytes a point,
// may bound it further): the points, their keys and the file index take
// about 1 KiB each, so a grid of MaxPoints points needs about 1 GiB before
// anything is measured; beyond it a grid is refused rather than left to
// exhaust memory while it is expanded.
const MaxPoints = 1_000_000

// size is the number of points the grid lists before validation, as a
// float64 so that no product of list lengths overflows.
func (s Spec) size(models []kind.Model, losses, acts int) float64 {
	common := float64(len(s.C)) * float64(len(s.D)) * float64(len(s.N)) * float64(len(s.Seeds)) * float64(losses)
	n := 0.0
	for _, m := range models {
		if m == kind.MLP {
			n += common * float64(acts) * float64(len(s.M)) * float64(len(s.SigmaW)) * float64(len(s.SigmaV))
		} else {
			n += common * float64(len(s.Sigma))
		}
	}
	return n
}

// Expand lists the grid's points in a fixed order (model, loss, activation,
// C, d, N, m, scales, seed, each in the order given). It reports every
// invalid configuration, empty list and duplicate point at once.
func (s Spec) Expand() ([]Point, error) {
	var errs []error
	need := func(name string, n int) {
		if n == 0 {
			errs = append(errs, fmt.Errorf("sweep: spec has no %s", name))
		}
	}
	need("models", len(s.Models))
	need("losses", len(s.Losses))
	need("C values", len(s.C))
	need("d values", len(s.D))
	need("N values", len(s.N))
	need("seeds", len(s.Seeds))
	models := ParseAll(s.Models, kind.ParseModel, &errs, nil)
	losses := ParseAll(s.Losses, kind.ParseLoss, &errs, nil)
	acts := ParseAll(s.Activations, kind.ParseActivation, &errs, nil)
	for _, m := range models {
		if m == kind.MLP {
			need("activations (the MLP needs one)", len(s.Activations))
			need("m values (the MLP needs one)", len(s.M))
			need("sigma_w values (the MLP needs one)", len(s.SigmaW))
			need("sigma_v values (the MLP needs one)", len(s.SigmaV))
		} else {
			need("sigma values (the linear model needs one)", len(s.Sigma))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	var pts []Point
	seen := map[string]bool{}
	// One bad value in a list spoils many points with the same message;
	// report each message once, with its first point and a count.
	type badGroup struct {
		first string
		err   error
		n     int
	}
	if n := s.size(models, len(losses), len(acts)); n > MaxPoints {
		return nil, fmt.Errorf("sweep: the grid has %.4g points, more than the %d one sweep handles: split it into several grids (or -spec files)", n, MaxPoints)
	} else if err := membudget.Check(fmt.Sprintf("a grid of %.0f points", n), GridBytes(n, 0, 0), membudget.Limit(), "split it into several grids (or -spec files)"); err != nil {
		return nil, err
	}
	var groups []*badGroup
	byMsg := map[string]*badGroup{}
	bad := func(key string, err error) {
		g := byMsg[err.Error()]
		if g == nil {
			g = &badGroup{first: key, err: err}
			byMsg[err.Error()] = g
			groups = append(groups, g)
		}
		g.n++
	}
	add := func(c numerics.Config) {
		k := Key(c)
		if err := c.Validate(); err != nil {
			// Validate joins one error per bad field; group them singly.
			if j, ok := err.(interface{ Unwrap() []error }); ok {
				for _, e := range j.Unwrap() {
					bad(k, e)
				}
			} else {
				bad(k, err)
			}
			return
		}
		if seen[k] {
			bad(k, errors.New("point appears twice (repeated value in a list)"))
			return
		}
		seen[k] = true
		pts = append(pts, Point{Index: len(pts), Key: k, Config: c})
	}
	for _, model := range models {
		for _, loss := range losses {
			actList := []kind.Activation{""}
			if model == kind.MLP {
				actList = acts
			}
			for _, act := range actList {
				for _, c := range s.C {
					for _, d := range s.D {
						for _, n := range s.N {
							if model == kind.Linear {
								for _, sg := range s.Sigma {
									for _, seed := range s.Seeds {
										add(numerics.Config{Model: model, Loss: loss, C: c, D: d, N: n, Sigma: sg, Seed: seed})
									}
								}
								continue
							}
							for _, m := range s.M {
								for _, sw := range s.SigmaW {
									for _, sv := range s.SigmaV {
										for _, seed := range s.Seeds {
											add(numerics.Config{Model: model, Activation: act, Loss: loss, C: c, D: d, N: n, M: m, SigmaW: sw, SigmaV: sv, Seed: seed})
										}
									}
								}
							}
						}
					}
				}
			}
		}
	}
	for _, g := range groups {
		if g.n == 1 {
			errs = append(errs, fmt.Errorf("sweep: %s: %w", g.first, g.err))
		} else {
			errs = append(errs, fmt.Errorf("sweep: %s and %d more points: %w", g.first, g.n-1, g.err))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return pts, nil
}

// Shard selects the I-th of N deterministic slices of a grid, 1 ≤ I ≤ N.
// The zero value (and 1/1) selects everything.
type Shard struct{ I, N int }

// ParseShard parses "i/n" with 1 ≤ i ≤ n.
func ParseShard(s string) (Shard, error) {
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(strings.TrimSpace(a))
	n, err2 := strconv.Atoi(strings.TrimSpace(b))
	if !ok || err1 != nil || err2 != nil {
		return Shard{}, fmt.Errorf("sweep: shard %q: want i/n, e.g. 1/4", s)
	}
	if n < 1 || i < 1 || i > n {
		return Shard{}, fmt.Errorf("sweep: shard %q: want 1 ≤ i ≤ n", s)
	}
	return Shard{I: i, N: n}, nil
}

func (s Shard) String() string {
	if s.N == 0 {
		return "1/1"
	}
	return fmt.Sprintf("%d/%d", s.I, s.N)
}

// Select returns the points of shard s: those whose Index ≡ I−1 mod N.
func (s Shard) Select(pts []Point) []Point {
	if s.N <= 1 {
		return pts
	}
	var out []Point
	for _, p := range pts {
		if p.Index%s.N == s.I-1 {
			out = append(out, p)
		}
	}
	return out
}

// MarshalIndent is the canonical JSON form of a spec, for printing.
func (s Spec) MarshalIndent() []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.Encode(s)
	return b.Bytes()
}

// ParseAll parses every value with parse, appending a failure to errs
// (through wrap, which may say more about the value, when wrap is not
// nil) and keeping the values that parse.
func ParseAll[T any](vals []string, parse func(string) (T, error), errs *[]error, wrap func(v string, err error) error) []T {
	var out []T
	for _, v := range vals {
		x, err := parse(v)
		if err != nil {
			if wrap != nil {
				err = wrap(v, err)
			}
			*errs = append(*errs, err)
			continue
		}
		out = append(out, x)
	}
	return out
}
