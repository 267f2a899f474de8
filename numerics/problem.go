package numerics

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"

	"github.com/hessblock/hessblock/datasets"
	"github.com/hessblock/hessblock/internal/membudget"
	"github.com/hessblock/hessblock/kind"
	"gonum.org/v1/gonum/mat"
)

// Independent random streams drawn from one seed, so that, for example,
// changing the initialization never changes the data. Streams 1 and 2 are
// those of the data and labels, drawn by datasets.Gaussian.
const (
	streamW uint64 = 3
	streamV uint64 = 4
)

func newRand(seed, stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, stream))
}

// DefaultMaxDenseBytes is the default limit on the memory of a dense Hessian.
const DefaultMaxDenseBytes int64 = 2 << 30

// Problem is one finite-size instance: data (X, labels) and parameters
// (W, V) of a Config. Its methods evaluate the loss, gradient and Hessian at
// the current parameters.
//
// X holds one sample per row (N×d), the transpose of THEORY's X ∈ R^{d×N};
// labels are in [0, C). The parameter vector θ is W row by row, then V row
// by row (THEORY §1 block order).
//
// Only a Problem made by NewProblem or NewProblemWithData is usable. The
// methods and functions that return an error report a nil or zero Problem
// as one; the others (Loss, Gradient, LossGradient, Accuracy, Params,
// Clone, MinAbsPreactivation) panic with a message saying so, as they have
// no other way to refuse.
type Problem struct {
	cfg    Config
	x      *mat.Dense // N×d
	labels []int
	w      *mat.Dense // C×d (linear) or m×d (MLP)
	v      *mat.Dense // C×m (MLP), nil for the linear model

	// MaxDenseBytes bounds the dense Hessian (P²·8 bytes): above it
	// Hessian refuses and Measure's auto method uses the structured
	// statistics instead. Zero (or negative) means DefaultMaxDenseBytes.
	// It selects a method; MaxBytes is the hard ceiling.
	MaxDenseBytes int64
	// MaxBytes is the memory budget of p's computations: the data and
	// weights p holds plus the work arrays of a dense Hessian, the
	// structured statistics, Lanczos or block spectra (budget.go). Zero
	// (or negative) means the process budget, membudget.Limit (by default
	// 3/4 of the memory available; the command's -max-memory).
	MaxBytes int64
}

// NewProblem draws Gaussian data and uniform labels (THEORY §1) with
// datasets.Gaussian, and the initial parameters, from cfg.Seed. A
// configuration whose data, weights and forward pass (ProblemBytes) exceed
// the process budget (membudget.Limit) is a *membudget.Error, returned
// before anything is allocated.
func NewProblem(cfg Config) (*Problem, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := cfg.CheckProblem(membudget.Limit()); err != nil {
		return nil, err
	}
	set, err := datasets.Gaussian(cfg.N, cfg.D, cfg.C, cfg.Seed)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidConfig, err)
	}
	return newProblem(cfg, set.X, set.Labels), nil
}

// NewProblemWithData uses the caller's data: x is N×d with one sample per
// row and labels[n] ∈ [0, C). cfg.N and cfg.D are taken from x when zero and
// must match it otherwise. The parameters are drawn from cfg.Seed. x and
// labels are copied.
func NewProblemWithData(cfg Config, x mat.Matrix, labels []int) (*Problem, error) {
	if isNilMatrix(x) {
		return nil, fmt.Errorf("%w: nil data matrix", ErrInvalidConfig)
	}
	n, d := x.Dims()
	if cfg.N == 0 {
		cfg.N = n
	}
	if cfg.D == 0 {
		cfg.D = d
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := validateData(cfg, x, labels); err != nil {
		return nil, err
	}
	if err := cfg.CheckProblem(membudget.Limit()); err != nil {
		return nil, err
	}
	return newProblem(cfg, mat.DenseCopyOf(x), append([]int(nil), labels...)), nil
}

func validateData(cfg Config, x mat.Matrix, labels []int) error {
	n, d := x.Dims()
	if n != cfg.N || d != cfg.D {
		return fmt.Errorf("%w: data is %d×%d, want N×d = %d×%d (one sample per row)", ErrInvalidConfig, n, d, cfg.N, cfg.D)
	}
	if len(labels) != n {
		return fmt.Errorf("%w: %d labels for %d samples", ErrInvalidConfig, len(labels), n)
	}
	for i, y := range labels {
		if y < 0 || y >= cfg.C {
			return fmt.Errorf("%w: label %d of sample %d outside [0, %d)", ErrInvalidConfig, y, i, cfg.C)
		}
	}
	for i := 0; i < n; i++ {
		for j := 0; j < d; j++ {
			if v := x.At(i, j); math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("%w: data entry (%d, %d) is %v", ErrInvalidConfig, i, j, v)
			}
		}
	}
	return nil
}

func newProblem(cfg Config, x *mat.Dense, labels []int) *Problem {
	p := &Problem{cfg: cfg, x: x, labels: labels}
	switch cfg.Model {
	case kind.Linear:
		p.w = gaussianMatrix(cfg.C, cfg.D, cfg.Sigma/math.Sqrt(float64(cfg.D)), newRand(cfg.Seed, streamW))
	case kind.MLP:
		p.w = gaussianMatrix(cfg.M, cfg.D, cfg.SigmaW/math.Sqrt(float64(cfg.D)), newRand(cfg.Seed, streamW))
		p.v = gaussianMatrix(cfg.C, cfg.M, cfg.SigmaV/math.Sqrt(float64(cfg.M)), newRand(cfg.Seed, streamV))
	}
	return p
}

func gaussianMatrix(r, c int, scale float64, rnd *rand.Rand) *mat.Dense {
	data := make([]float64, r*c)
	for i := range data {
		data[i] = scale * rnd.NormFloat64()
	}
	return mat.NewDense(r, c, data)
}

// errNoProblem is returned for a nil or zero Problem.
var errNoProblem = errors.New("numerics: nil or zero Problem (make one with NewProblem or NewProblemWithData)")

// check reports whether p was made by a constructor: the error-returning
// entry points call it so that a nil or zero Problem is an error, not a
// nil dereference.
func (p *Problem) check() error {
	if p == nil || p.x == nil || p.w == nil || len(p.labels) != p.cfg.N || (p.cfg.Model == kind.MLP && p.v == nil) {
		return errNoProblem
	}
	return nil
}

// mustCheck panics with the message of check, for the methods that cannot
// return an error.
func (p *Problem) mustCheck() {
	if err := p.check(); err != nil {
		panic(err.Error())
	}
}

// Config returns the problem's configuration (the zero Config for a nil
// Problem).
func (p *Problem) Config() Config {
	if p == nil {
		return Config{}
	}
	return p.cfg
}

// X returns the N×d data matrix. It is shared with p: do not modify it.
func (p *Problem) X() *mat.Dense {
	if p == nil {
		return nil
	}
	return p.x
}

// Labels returns the labels. They are shared with p: do not modify them.
func (p *Problem) Labels() []int {
	if p == nil {
		return nil
	}
	return p.labels
}

// W returns the first-layer weights (C×d for the linear model, m×d for the
// MLP). They are shared with p: use SetParams to change them.
func (p *Problem) W() *mat.Dense {
	if p == nil {
		return nil
	}
	return p.w
}

// V returns the MLP's output weights (C×m), or nil for the linear model.
func (p *Problem) V() *mat.Dense {
	if p == nil {
		return nil
	}
	return p.v
}

// NumParams returns the length P of the parameter vector.
func (p *Problem) NumParams() int { return p.Config().NumParams() }

// Params returns a copy of the parameter vector θ = (W rows, V rows).
func (p *Problem) Params() []float64 {
	p.mustCheck()
	theta := make([]float64, 0, p.NumParams())
	theta = append(theta, p.w.RawMatrix().Data...)
	if p.v != nil {
		theta = append(theta, p.v.RawMatrix().Data...)
	}
	return theta
}

// SetParams sets θ. Non-finite entries are an error and leave p as it
// was; a θ whose length is not NumParams is a programming error and panics.
func (p *Problem) SetParams(theta []float64) error {
	if err := p.check(); err != nil {
		return err
	}
	if len(theta) != p.NumParams() {
		panic(fmt.Sprintf("numerics: parameter vector has length %d, want %d", len(theta), p.NumParams()))
	}
	for i, t := range theta {
		if math.IsNaN(t) || math.IsInf(t, 0) {
			return fmt.Errorf("numerics: parameter %d is %v", i, t)
		}
	}
	nw := len(p.w.RawMatrix().Data)
	copy(p.w.RawMatrix().Data, theta[:nw])
	if p.v != nil {
		copy(p.v.RawMatrix().Data, theta[nw:])
	}
	return nil
}

// SetWeights replaces W (and V for the MLP; pass nil for the linear model)
// after checking shapes and finiteness. The matrices are copied.
func (p *Problem) SetWeights(w, v mat.Matrix) error {
	if err := p.check(); err != nil {
		return err
	}
	if isNilMatrix(w) {
		return errors.New("numerics: nil W")
	}
	wr, wc := p.w.Dims()
	if r, c := w.Dims(); r != wr || c != wc {
		return fmt.Errorf("numerics: W is %d×%d, want %d×%d", r, c, wr, wc)
	}
	theta := mat.DenseCopyOf(w).RawMatrix().Data
	if p.v != nil {
		if isNilMatrix(v) {
			return errors.New("numerics: nil V for the MLP")
		}
		vr, vc := p.v.Dims()
		if r, c := v.Dims(); r != vr || c != vc {
			return fmt.Errorf("numerics: V is %d×%d, want %d×%d", r, c, vr, vc)
		}
		theta = append(append([]float64(nil), theta...), mat.DenseCopyOf(v).RawMatrix().Data...)
	} else if !isNilMatrix(v) {
		return errors.New("numerics: V given for the linear model")
	}
	return p.SetParams(theta)
}

// isNilMatrix reports whether m is nil or a nil pointer such as a nil
// *mat.Dense, whose Dims would panic.
func isNilMatrix(m mat.Matrix) bool {
	if m == nil {
		return true
	}
	v := reflect.ValueOf(m)
	return v.Kind() == reflect.Pointer && v.IsNil()
}

// Clone returns a deep copy of p.
func (p *Problem) Clone() *Problem {
	p.mustCheck()
	q := *p
	q.x = mat.DenseCopyOf(p.x)
	q.labels = append([]int(nil), p.labels...)
	q.w = mat.DenseCopyOf(p.w)
	if p.v != nil {
		q.v = mat.DenseCopyOf(p.v)
	}
	return &q
}
