package numerics

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/hessblock/hessblock/kind"
)

// Config fixes one finite-size problem: the model, the loss, the sizes and
// the initialization scales (THEORY §1). The zero value is not valid; start
// from DefaultConfig.
type Config struct {
	Model      kind.Model      `json:"model"`
	Activation kind.Activation `json:"activation,omitempty"` // MLP only
	Loss       kind.Loss       `json:"loss"`

	C int `json:"C"`           // number of classes, ≥ 2
	D int `json:"d"`           // input dimension
	N int `json:"N"`           // number of samples
	M int `json:"m,omitempty"` // width of every hidden layer (MLP only; see HiddenWidths)

	// Depth is L, the number of weight layers: 0 means the model's
	// default (1 for linear, 2 for mlp). The linear model allows only 0 or
	// 1; the MLP allows 2 … MaxDepth.
	Depth int `json:"depth,omitempty"`
	// Bias gives every layer a bias (zero-initialized).
	Bias bool `json:"bias,omitempty"`
	// HiddenWidths overrides the hidden widths layer by layer, for loaded
	// models of non-uniform width: len = Depth − 1 (Depth must then be
	// given), every width ≥ 1, and M either 0 or equal to every width.
	HiddenWidths []int `json:"hidden_widths,omitempty"`
	// LayerBias says which layers have a bias, for loaded models with
	// biases on some layers only: len = NumLayers(). With Bias set it must
	// be all true (Bias already means every layer).
	LayerBias []bool `json:"layer_bias,omitempty"`

	Sigma  float64 `json:"sigma"`             // linear: W_kj ~ N(0, σ²/d)
	SigmaW float64 `json:"sigma_w,omitempty"` // MLP hidden layers: W_l[i,j] ~ N(0, σ_w²/in_l)
	SigmaV float64 `json:"sigma_v,omitempty"` // MLP output layer: W_L[k,i] ~ N(0, σ_v²/in_L)

	Seed uint64 `json:"seed"`
}

// DefaultConfig returns a small valid configuration of the given model.
func DefaultConfig(model kind.Model) Config {
	c := Config{Model: model, Loss: kind.CE, C: 10, D: 20, N: 100, Sigma: 1, Seed: 1}
	if model == kind.MLP {
		c.Activation = kind.ReLU
		c.M = 8
		c.Sigma = 0
		c.SigmaW, c.SigmaV = 1, 1
	}
	return c
}

// ErrInvalidConfig is wrapped by every error Validate returns.
var ErrInvalidConfig = errors.New("invalid configuration")

// Validate reports every problem with c at once.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrInvalidConfig}, args...)...))
	}
	switch c.Model {
	case kind.Linear:
		if c.Activation != "" && c.Activation != kind.Identity {
			bad("activation %q given for the linear model", c.Activation)
		}
		if c.M != 0 {
			bad("hidden width m = %d given for the linear model", c.M)
		}
		if c.Depth != 0 && c.Depth != 1 {
			bad("depth %d for the linear model, want 0 or 1 (use model mlp for deeper networks)", c.Depth)
		}
		if len(c.HiddenWidths) != 0 {
			bad("hidden_widths given for the linear model")
		}
	case kind.MLP:
		// The forward pass matches names exactly: "ReLU" must not pass here
		// and then fall through every case of the activation switch.
		if a, err := kind.ParseActivation(string(c.Activation)); err != nil {
			bad("%v", err)
		} else if a != c.Activation {
			bad("activation %q is not canonical (use %q)", c.Activation, a)
		}
		if c.Depth != 0 && (c.Depth < 2 || c.Depth > MaxDepth) {
			bad("depth %d for the MLP, want 0 (default 2) or 2 … %d", c.Depth, MaxDepth)
		}
		switch {
		case len(c.HiddenWidths) == 0:
			if c.M <= 0 {
				bad("hidden width m = %d, want m ≥ 1", c.M)
			}
		case c.Depth == 0:
			bad("hidden_widths given without depth")
		case len(c.HiddenWidths) != c.Depth-1:
			bad("%d hidden_widths for depth %d, want depth − 1 = %d", len(c.HiddenWidths), c.Depth, c.Depth-1)
		default:
			for i, w := range c.HiddenWidths {
				if w <= 0 {
					bad("hidden_widths[%d] = %d, want ≥ 1", i, w)
				} else if c.M != 0 && c.M != w {
					bad("hidden_widths[%d] = %d differs from m = %d (set m = 0 for non-uniform widths)", i, w, c.M)
				}
			}
		}
	default:
		bad("unknown model %q (want %q or %q)", c.Model, kind.Linear, kind.MLP)
	}
	if c.Loss != kind.MSE && c.Loss != kind.CE {
		bad("unknown loss %q (want %q or %q)", c.Loss, kind.MSE, kind.CE)
	}
	if c.C < 2 {
		bad("C = %d classes, want C ≥ 2", c.C)
	}
	if c.D <= 0 {
		bad("input dimension d = %d, want d ≥ 1", c.D)
	}
	if c.N <= 0 {
		bad("sample count N = %d, want N ≥ 1", c.N)
	}
	for _, s := range []struct {
		name string
		v    float64
	}{{"sigma", c.Sigma}, {"sigma_w", c.SigmaW}, {"sigma_v", c.SigmaV}} {
		if math.IsNaN(s.v) || math.IsInf(s.v, 0) || s.v < 0 {
			bad("%s = %v, want a finite value ≥ 0", s.name, s.v)
		}
	}
	if len(c.LayerBias) != 0 {
		if len(errs) == 0 && len(c.LayerBias) != c.NumLayers() {
			bad("%d layer_bias entries for %d layers", len(c.LayerBias), c.NumLayers())
		}
		if c.Bias && slices.Contains(c.LayerBias, false) {
			bad("bias set for every layer but layer_bias has a layer without")
		}
	}
	if len(errs) == 0 {
		if err := c.checkSizes(); err != nil {
			bad("%v", err)
		}
	}
	if c.Model == kind.Linear && (c.SigmaW != 0 || c.SigmaV != 0) {
		bad("sigma_w/sigma_v given for the linear model (use sigma)")
	}
	if c.Model == kind.MLP && c.Sigma != 0 {
		bad("sigma given for the MLP (use sigma_w and sigma_v)")
	}
	return errors.Join(errs...)
}

// maxParams bounds P so that the byte count P²·8 of a dense Hessian, which
// the memory guard compares with its limit, cannot overflow int64.
const maxParams = 1 << 30

// checkSizes rejects sizes whose array lengths (X is N×d, logits N×C,
// hidden activations N×m, W and V) overflow int: allocation would panic.
// It assumes the sizes are positive.
func (c Config) checkSizes() error {
	type dims struct {
		what string
		a, b int
	}
	arrays := []dims{{"N·d", c.N, c.D}, {"N·C", c.N, c.C}, {"C·d", c.C, c.D}}
	sizes := c.LayerSizes()
	for l := 1; l < len(sizes); l++ {
		arrays = append(arrays, dims{fmt.Sprintf("N·h%d", l), c.N, sizes[l]},
			dims{fmt.Sprintf("h%d·(h%d+1)", l, l-1), sizes[l], sizes[l-1] + 1})
	}
	for _, a := range arrays {
		if a.b != 0 && a.a > math.MaxInt/a.b {
			return fmt.Errorf("%s = %d·%d overflows int", a.what, a.a, a.b)
		}
	}
	// Each term is below MaxInt, so the sum cannot wrap around twice.
	if p := c.NumParams(); p <= 0 || p > maxParams {
		return fmt.Errorf("more than %d parameters (P²·8 bytes would overflow int64)", maxParams)
	}
	return nil
}

// MaxDepth is the largest number of weight layers a Config may have.
const MaxDepth = 8

// NumLayers is L, the number of weight layers: Depth, or the model's
// default (1 for linear, 2 for the MLP) when Depth is 0.
func (c Config) NumLayers() int {
	switch {
	case c.Depth != 0:
		return c.Depth
	case c.Model == kind.MLP:
		return 2
	}
	return 1
}

// LayerSizes returns the widths d, h_1, …, h_{L−1}, C: layer l (1-based)
// maps LayerSizes()[l−1] inputs to LayerSizes()[l] outputs.
func (c Config) LayerSizes() []int {
	L := c.NumLayers()
	sizes := make([]int, L+1)
	sizes[0], sizes[L] = c.D, c.C
	for l := 1; l < L; l++ {
		if len(c.HiddenWidths) == L-1 {
			sizes[l] = c.HiddenWidths[l-1]
		} else {
			sizes[l] = c.M
		}
	}
	return sizes
}

// HasBias reports whether layer l (1-based) has a bias.
func (c Config) HasBias(l int) bool {
	if c.Bias {
		return true
	}
	return l >= 1 && l <= len(c.LayerBias) && c.LayerBias[l-1]
}

// anyBias reports whether some layer has a bias.
func (c Config) anyBias() bool { return c.Bias || slices.Contains(c.LayerBias, true) }

// legacy reports whether the specialized engine of model.go and hessian.go
// applies: the linear model or the one-hidden-layer MLP of width M, without
// biases. Everything else goes through the general engine (deep*.go).
func (c Config) legacy() bool {
	return c.NumLayers() <= 2 && !c.anyBias() && (c.Model == kind.Linear || c.M > 0)
}

// NumParams is the length of the parameter vector: C·d for the linear model,
// m·d + C·m for the MLP; in general Σ_l h_l·(h_{l−1} + 1 if layer l has a
// bias).
func (c Config) NumParams() int {
	if c.legacy() {
		if c.Model == kind.MLP {
			return c.M*c.D + c.C*c.M
		}
		return c.C * c.D
	}
	sizes := c.LayerSizes()
	total := 0
	for l := 1; l < len(sizes); l++ {
		in := sizes[l-1]
		if c.HasBias(l) {
			in++
		}
		if in != 0 && sizes[l] > (math.MaxInt-total)/in {
			return -1 // overflows int
		}
		total += sizes[l] * in
	}
	return total
}

// Gamma is the aspect ratio γ = d/N (of a valid configuration: +Inf or NaN
// when N = 0).
func (c Config) Gamma() float64 { return float64(c.D) / float64(c.N) }

func (c Config) String() string {
	if !c.legacy() {
		return c.deepString()
	}
	if c.Model == kind.MLP {
		return fmt.Sprintf("mlp/%s/%s C=%d d=%d N=%d m=%d σw=%g σv=%g seed=%d",
			c.Activation, c.Loss, c.C, c.D, c.N, c.M, c.SigmaW, c.SigmaV, c.Seed)
	}
	return fmt.Sprintf("linear/%s C=%d d=%d N=%d σ=%g seed=%d", c.Loss, c.C, c.D, c.N, c.Sigma, c.Seed)
}

// deepString is String for the configurations of the general engine: the
// depth, the hidden widths when they differ from m, and which layers have a
// bias.
func (c Config) deepString() string {
	var b strings.Builder
	if c.Model == kind.MLP {
		fmt.Fprintf(&b, "mlp/%s/%s C=%d d=%d N=%d", c.Activation, c.Loss, c.C, c.D, c.N)
		if len(c.HiddenWidths) != 0 && c.M == 0 {
			fmt.Fprintf(&b, " widths=%v", c.HiddenWidths)
		} else {
			fmt.Fprintf(&b, " m=%d", c.M)
		}
		fmt.Fprintf(&b, " L=%d", c.NumLayers())
	} else {
		fmt.Fprintf(&b, "linear/%s C=%d d=%d N=%d", c.Loss, c.C, c.D, c.N)
	}
	switch {
	case c.Bias:
		b.WriteString(" bias")
	case c.anyBias():
		fmt.Fprintf(&b, " bias=%v", c.LayerBias)
	}
	if c.Model == kind.MLP {
		fmt.Fprintf(&b, " σw=%g σv=%g seed=%d", c.SigmaW, c.SigmaV, c.Seed)
	} else {
		fmt.Fprintf(&b, " σ=%g seed=%d", c.Sigma, c.Seed)
	}
	return b.String()
}
