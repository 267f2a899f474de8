package numerics

import (
	"errors"
	"fmt"
	"math"

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
	M int `json:"m,omitempty"` // hidden width (MLP only)

	Sigma  float64 `json:"sigma"`             // linear: W_kj ~ N(0, σ²/d)
	SigmaW float64 `json:"sigma_w,omitempty"` // MLP: W_ij ~ N(0, σ_w²/d)
	SigmaV float64 `json:"sigma_v,omitempty"` // MLP: V_ki ~ N(0, σ_v²/m)

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
	case kind.MLP:
		// The forward pass matches names exactly: "ReLU" must not pass here
		// and then fall through every case of the activation switch.
		if a, err := kind.ParseActivation(string(c.Activation)); err != nil {
			bad("%v", err)
		} else if a != c.Activation {
			bad("activation %q is not canonical (use %q)", c.Activation, a)
		}
		if c.M <= 0 {
			bad("hidden width m = %d, want m ≥ 1", c.M)
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
	if c.Model == kind.MLP {
		arrays = append(arrays, dims{"N·m", c.N, c.M}, dims{"m·d", c.M, c.D}, dims{"C·m", c.C, c.M})
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

// NumParams is the length of the parameter vector: C·d for the linear model,
// m·d + C·m for the MLP.
func (c Config) NumParams() int {
	if c.Model == kind.MLP {
		return c.M*c.D + c.C*c.M
	}
	return c.C * c.D
}

// Gamma is the aspect ratio γ = d/N (of a valid configuration: +Inf or NaN
// when N = 0).
func (c Config) Gamma() float64 { return float64(c.D) / float64(c.N) }

func (c Config) String() string {
	if c.Model == kind.MLP {
		return fmt.Sprintf("mlp/%s/%s C=%d d=%d N=%d m=%d σw=%g σv=%g seed=%d",
			c.Activation, c.Loss, c.C, c.D, c.N, c.M, c.SigmaW, c.SigmaV, c.Seed)
	}
	return fmt.Sprintf("linear/%s C=%d d=%d N=%d σ=%g seed=%d", c.Loss, c.C, c.D, c.N, c.Sigma, c.Seed)
}
