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
// by row (THEORY §1 block order); for deeper networks or with biases,
// layer by layer, each neuron's weight row followed by its bias (Params).
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
	w      *mat.Dense // C×d (linear) or m×d (MLP): ws[0]
	v      *mat.Dense // C×m (MLP of two layers, ws[1]), nil otherwise
	// ws[l−1] is W_l (h_l × h_{l−1}) and bs[l−1] its bias (nil when layer
	// l has none), for every depth; w and v alias ws for the specialized
	// engine.
	ws []*mat.Dense
	bs [][]float64

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

// streamLayer + l is the stream of the middle layers l = 2 … L−1 of a
// network of three or more layers (the first layer keeps streamW and the
// last streamV, so that the draws of one- and two-layer models do not
// depend on the depth code).
const streamLayer uint64 = 0x6c61_7965_7200 // "layer"

// newProblem draws the initial parameters: the linear model W ~ N(0, σ²/d);
// a network's hidden layers W_l ~ N(0, σ_w²/h_{l−1}) and its last layer
// W_L ~ N(0, σ_v²/h_{L−1}); every bias starts at zero.
func newProblem(cfg Config, x *mat.Dense, labels []int) *Problem {
	p := &Problem{cfg: cfg, x: x, labels: labels}
	sizes := cfg.LayerSizes()
	L := len(sizes) - 1
	p.ws = make([]*mat.Dense, L)
	p.bs = make([][]float64, L)
	for l := 1; l <= L; l++ {
		in, out := sizes[l-1], sizes[l]
		sigma, stream := cfg.SigmaW, streamLayer+uint64(l)
		switch {
		case cfg.Model == kind.Linear:
			sigma, stream = cfg.Sigma, streamW
		case l == 1:
			stream = streamW
		case l == L:
			sigma, stream = cfg.SigmaV, streamV
		}
		p.ws[l-1] = gaussianMatrix(out, in, sigma/math.Sqrt(float64(in)), newRand(cfg.Seed, stream))
		if cfg.HasBias(l) {
			p.bs[l-1] = make([]float64, out)
		}
	}
	p.alias()
	return p
}

// alias points w and v at the layers the specialized engine reads.
func (p *Problem) alias() {
	p.w, p.v = p.ws[0], nil
	if len(p.ws) == 2 {
		p.v = p.ws[1]
	}
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
	if p == nil || p.x == nil || p.w == nil || len(p.labels) != p.cfg.N || (p.cfg.Model == kind.MLP && p.cfg.NumLayers() == 2 && p.v == nil) ||
		len(p.ws) != p.cfg.NumLayers() || len(p.bs) != len(p.ws) {
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

// V returns the output weights (C×m) of the two-layer MLP, or nil for
// other depths (use Weights).
func (p *Problem) V() *mat.Dense {
	if p == nil {
		return nil
	}
	return p.v
}

// NumParams returns the length P of the parameter vector.
func (p *Problem) NumParams() int { return p.Config().NumParams() }

// Params returns a copy of the parameter vector θ: layer by layer, inside
// a layer neuron by neuron, each neuron's weight row followed by its bias
// when the layer has one (W rows then V rows for the MLP without biases).
func (p *Problem) Params() []float64 {
	p.mustCheck()
	theta := make([]float64, 0, p.NumParams())
	for l, w := range p.ws {
		if p.bs[l] == nil {
			theta = append(theta, w.RawMatrix().Data...)
			continue
		}
		r, _ := w.Dims()
		for i := 0; i < r; i++ {
			theta = append(append(theta, w.RawRowView(i)...), p.bs[l][i])
		}
	}
	return theta
}

// Weights returns W_1 … W_L (W_l is h_l × h_{l−1}, row-major like
// PyTorch's nn.Linear.weight). They are shared with p: use SetParams or
// SetLayers to change them.
func (p *Problem) Weights() []*mat.Dense {
	if p == nil {
		return nil
	}
	return append([]*mat.Dense(nil), p.ws...)
}

// Biases returns b_1 … b_L, nil for a layer without a bias. They are
// shared with p: use SetParams or SetLayers to change them.
func (p *Problem) Biases() [][]float64 {
	if p == nil {
		return nil
	}
	return append([][]float64(nil), p.bs...)
}

// SetLayers replaces every layer's weights and biases, for a model loaded
// from a file: weights[l−1] must be h_l × h_{l−1} (Config.LayerSizes) and
// biases[l−1] of length h_l for a layer with a bias and nil (or empty)
// for one without; biases may be nil altogether when no layer has one.
// Shapes are checked, non-finite entries refused (leaving p as it was),
// and everything is copied.
func (p *Problem) SetLayers(weights []mat.Matrix, biases [][]float64) error {
	if err := p.check(); err != nil {
		return err
	}
	L := len(p.ws)
	if len(weights) != L {
		return fmt.Errorf("numerics: %d weight matrices for %d layers", len(weights), L)
	}
	if biases != nil && len(biases) != L {
		return fmt.Errorf("numerics: %d bias vectors for %d layers", len(biases), L)
	}
	theta := make([]float64, 0, p.NumParams())
	for l, w := range weights {
		if isNilMatrix(w) {
			return fmt.Errorf("numerics: nil weights of layer %d", l+1)
		}
		wr, wc := p.ws[l].Dims()
		if r, c := w.Dims(); r != wr || c != wc {
			return fmt.Errorf("numerics: weights of layer %d are %d×%d, want %d×%d", l+1, r, c, wr, wc)
		}
		var b []float64
		if biases != nil {
			b = biases[l]
		}
		switch {
		case p.bs[l] == nil && len(b) != 0:
			return fmt.Errorf("numerics: bias given for layer %d, which has none", l+1)
		case p.bs[l] != nil && len(b) != wr:
			return fmt.Errorf("numerics: bias of layer %d has length %d, want %d", l+1, len(b), wr)
		}
		for i := 0; i < wr; i++ {
			for j := 0; j < wc; j++ {
				theta = append(theta, w.At(i, j))
			}
			if p.bs[l] != nil {
				theta = append(theta, b[i])
			}
		}
	}
	return p.SetParams(theta)
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
	k := 0
	for l, w := range p.ws {
		if p.bs[l] == nil {
			k += copy(w.RawMatrix().Data, theta[k:])
			continue
		}
		r, _ := w.Dims()
		for i := 0; i < r; i++ {
			k += copy(w.RawRowView(i), theta[k:])
			p.bs[l][i] = theta[k]
			k++
		}
	}
	return nil
}

// SetWeights replaces W (and V for the MLP; pass nil for the linear model)
// after checking shapes and finiteness. The matrices are copied. It is for
// the models without biases of one or two layers; SetLayers sets any
// model.
func (p *Problem) SetWeights(w, v mat.Matrix) error {
	if err := p.check(); err != nil {
		return err
	}
	if !p.cfg.legacy() {
		return fmt.Errorf("numerics: SetWeights sets W and V of a model without biases of at most two layers; use SetLayers for %v", p.cfg)
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
	q.ws = make([]*mat.Dense, len(p.ws))
	q.bs = make([][]float64, len(p.bs))
	for l, w := range p.ws {
		q.ws[l] = mat.DenseCopyOf(w)
		if p.bs[l] != nil {
			q.bs[l] = append([]float64(nil), p.bs[l]...)
		}
	}
	q.alias()
	return &q
}
