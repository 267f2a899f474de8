package loadmodel

import (
	"fmt"
	"slices"

	"gonum.org/v1/gonum/mat"

	"github.com/hessblock/hessblock/internal/membudget"
	"github.com/hessblock/hessblock/kind"
	"github.com/hessblock/hessblock/modelfile"
	"github.com/hessblock/hessblock/numerics"
)

// Choices are what the user chose on the command line; the zero value of
// a field means the flag was not given.
type Choices struct {
	Activation kind.Activation
	Loss       kind.Loss
}

// ChoiceError is an activation or a loss that is missing, or given by a
// flag and contradicted by the file's metadata: a usage error, fixed by
// the flag it names.
type ChoiceError struct {
	Flag string // "activation" or "loss"
	Msg  string
}

func (e *ChoiceError) Error() string { return e.Msg }

// Read reads a model file within the process memory budget
// (membudget.Limit): over it, before any array is allocated, the error is
// a *membudget.Error.
func Read(path string) (*modelfile.Model, error) {
	return modelfile.Read(path, membudget.Limit())
}

// Config returns the configuration of the file's network: linear for one
// layer, mlp of the file's depth otherwise, its widths and biases, the
// activation and loss of c or of the file's metadata, C and d from the
// weights and N from X (0 when the file has no data; set it to the rows
// of the data given to Problem).
func Config(m *modelfile.Model, c Choices) (numerics.Config, error) {
	L := m.Depth()
	if L == 0 {
		return numerics.Config{}, fmt.Errorf("the model has no layers")
	}
	act, err := choose(m, "activation", string(c.Activation), func(s string) (string, error) {
		a, err := kind.ParseActivation(s)
		return string(a), err
	})
	if err != nil {
		return numerics.Config{}, err
	}
	loss, err := choose(m, "loss", string(c.Loss), func(s string) (string, error) {
		l, err := kind.ParseLoss(s)
		return string(l), err
	})
	if err != nil {
		return numerics.Config{}, err
	}
	if loss == "" {
		return numerics.Config{}, &ChoiceError{"loss", "the file does not name a loss (only safetensors files carry one, in __metadata__): give -loss ce or -loss mse"}
	}
	widths := m.Widths()
	var cfg numerics.Config
	if L == 1 {
		if act != "" && act != string(kind.Identity) {
			return numerics.Config{}, &ChoiceError{"activation", fmt.Sprintf("activation %s given for a one-layer model, which has none (W1 maps the input to the logits)", act)}
		}
		cfg = numerics.DefaultConfig(kind.Linear)
		cfg.Depth = 1
	} else {
		if act == "" {
			return numerics.Config{}, &ChoiceError{"activation", fmt.Sprintf("the %d-layer model needs an activation and the file names none: give -activation identity, relu, tanh or gelu", L)}
		}
		cfg = numerics.DefaultConfig(kind.MLP)
		cfg.Activation = kind.Activation(act)
		cfg.Depth = L
		hidden := widths[1:L]
		if slices.Min(hidden) == slices.Max(hidden) {
			cfg.M = hidden[0]
		} else {
			cfg.M, cfg.HiddenWidths = 0, slices.Clone(hidden)
		}
	}
	cfg.Loss = kind.Loss(loss)
	cfg.D, cfg.C, cfg.N = widths[0], widths[L], 0
	if m.X != nil {
		cfg.N, _ = m.X.Dims()
	}
	all, some := true, false
	layerBias := make([]bool, L)
	for l, b := range m.Biases {
		layerBias[l] = b != nil
		all, some = all && b != nil, some || b != nil
	}
	switch {
	case all:
		cfg.Bias = true
	case some:
		cfg.LayerBias = layerBias
	}
	return cfg, nil
}

// choose returns the value of a choice given by the flag (flag, may be
// "") and the file's metadata key of the same name, canonicalized by
// parse; "" when neither gives one.
func choose(m *modelfile.Model, name, flag string, parse func(string) (string, error)) (string, error) {
	meta, inMeta := m.Metadata[name]
	if flag != "" {
		f, err := parse(flag)
		if err != nil {
			return "", &ChoiceError{name, fmt.Sprintf("-%s: %v", name, err)}
		}
		if inMeta {
			if v, err := parse(meta); err != nil || v != f {
				return "", &ChoiceError{name, fmt.Sprintf("-%s %s contradicts the file's metadata %s %q: drop the flag or fix the file", name, f, name, meta)}
			}
		}
		return f, nil
	}
	if !inMeta {
		return "", nil
	}
	v, err := parse(meta)
	if err != nil {
		return "", fmt.Errorf("the file's metadata names %s %q: %v", name, meta, err)
	}
	return v, nil
}

// FileBytes is the memory the decoded model holds: its weights, biases,
// data and labels, 8 bytes per element.
func FileBytes(m *modelfile.Model) int64 {
	var n float64
	for l, w := range m.Weights {
		r, c := w.Dims()
		n += float64(r)*float64(c) + float64(len(m.Biases[l]))
	}
	if m.X != nil {
		r, c := m.X.Dims()
		n += float64(r)*float64(c) + float64(len(m.Labels))
	}
	return membudget.Floats(n)
}

// CheckMeasure returns a *membudget.Error if the file's arrays, the
// problem built from them (ProblemBytes) and a measurement
// (numerics.Config.MeasureBytes) exceed budget together. cfg.N must be
// set; fromFlags says that the data are not the file's, so that the
// message can name the N that would fit.
func CheckMeasure(m *modelfile.Model, cfg numerics.Config, budget, maxDenseBytes int64, fromFlags bool) error {
	held := FileBytes(m)
	bytes := func(c numerics.Config) int64 {
		return membudget.Add(membudget.Add(held, c.MeasureBytes(maxDenseBytes)), membudget.Floats(2*float64(c.NumParams())))
	}
	hint := "the model's sizes are fixed by the file: use fewer samples in it"
	if fromFlags {
		if n := membudget.LargestFitting(cfg.N, func(n int) bool { c := cfg; c.N = n; return bytes(c) <= budget }); n > 0 {
			hint = fmt.Sprintf("-N %d would fit", n)
		} else {
			hint = "even N = 1 does not fit with this model"
		}
	}
	return membudget.Check(fmt.Sprintf("measuring the loaded %v (the file's arrays, the problem, Hessian or structured work arrays)", cfg), bytes(cfg), budget, hint)
}

// Problem builds the problem of cfg (from Config) on the data x, labels —
// or on the file's X and y when x is nil — and installs the file's
// weights and biases. The data's d must be the file's; cfg.N is taken
// from the data. Labels outside 0…C−1 are an error naming the first one.
func Problem(m *modelfile.Model, cfg numerics.Config, x mat.Matrix, labels []int) (*numerics.Problem, error) {
	if x == nil {
		if err := m.RequireData(); err != nil {
			return nil, err
		}
		x, labels = m.X, m.Labels
	}
	n, d := x.Dims()
	if d != cfg.D {
		return nil, fmt.Errorf("the data has d = %d columns but W1 has %d: they must match", d, cfg.D)
	}
	if len(labels) != n {
		return nil, fmt.Errorf("%d labels for %d samples", len(labels), n)
	}
	for i, y := range labels {
		if y < 0 || y >= cfg.C {
			return nil, fmt.Errorf("label y[%d] = %d is outside 0…%d: the last layer W%d has C = %d rows", i, y, cfg.C-1, m.Depth(), cfg.C)
		}
	}
	cfg.N = n
	p, err := numerics.NewProblemWithData(cfg, x, labels)
	if err != nil {
		return nil, err
	}
	ws := make([]mat.Matrix, len(m.Weights))
	for l, w := range m.Weights {
		ws[l] = w
	}
	if err := p.SetLayers(ws, m.Biases); err != nil {
		return nil, err
	}
	return p, nil
}
