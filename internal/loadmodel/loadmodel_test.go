package loadmodel_test

import (
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/hessblock/hessblock/internal/loadmodel"
	"github.com/hessblock/hessblock/internal/loadmodel/loadtest"
	"github.com/hessblock/hessblock/internal/membudget"
	"github.com/hessblock/hessblock/kind"
	"github.com/hessblock/hessblock/modelfile"
	"github.com/hessblock/hessblock/numerics"
)

// model returns a network of the given widths with a bias on the layers
// listed, and data of N rows.
func model(widths []int, bias []bool, n int) *modelfile.Model {
	m := &modelfile.Model{Format: modelfile.FormatNPZ}
	v := 0.1
	next := func() float64 { v = -v*1.07 + 0.01; return v }
	for l := 1; l < len(widths); l++ {
		w := mat.NewDense(widths[l], widths[l-1], nil)
		for i := range w.RawMatrix().Data {
			w.RawMatrix().Data[i] = next()
		}
		m.Weights = append(m.Weights, w)
		var b []float64
		if bias[l-1] {
			b = make([]float64, widths[l])
			for i := range b {
				b[i] = next()
			}
		}
		m.Biases = append(m.Biases, b)
	}
	if n > 0 {
		m.X = mat.NewDense(n, widths[0], nil)
		for i := range m.X.RawMatrix().Data {
			m.X.RawMatrix().Data[i] = next()
		}
		for i := 0; i < n; i++ {
			m.Labels = append(m.Labels, i%widths[len(widths)-1])
		}
	}
	return m
}

func TestConfig(t *testing.T) {
	for _, c := range []struct {
		name   string
		m      *modelfile.Model
		meta   map[string]string
		ch     loadmodel.Choices
		want   string // cfg.String()
		choice string // the flag a *ChoiceError names
	}{
		{"L1 bias lm head", model([]int{4, 6}, []bool{true}, 5), nil, loadmodel.Choices{Loss: kind.CE},
			"linear/ce C=6 d=4 N=5 bias σ=1 seed=1", ""},
		{"L1 identity from metadata", model([]int{4, 6}, []bool{false}, 5), map[string]string{"activation": "identity", "loss": "mse"}, loadmodel.Choices{},
			"linear/mse C=6 d=4 N=5 σ=1 seed=1", ""},
		{"L1 relu refused", model([]int{4, 6}, []bool{false}, 5), nil, loadmodel.Choices{Activation: kind.ReLU, Loss: kind.CE}, "", "activation"},
		{"L3 uniform", model([]int{4, 3, 3, 2}, []bool{true, true, true}, 5), nil, loadmodel.Choices{Activation: kind.Tanh, Loss: kind.CE},
			"mlp/tanh/ce C=2 d=4 N=5 m=3 L=3 bias σw=1 σv=1 seed=1", ""},
		{"L3 widths and some biases", model([]int{4, 3, 5, 2}, []bool{true, false, true}, 0), map[string]string{"activation": "gelu", "loss": "mse"}, loadmodel.Choices{},
			"mlp/gelu/mse C=2 d=4 N=0 widths=[3 5] L=3 bias=[true false true] σw=1 σv=1 seed=1", ""},
		{"flag agrees with metadata", model([]int{4, 3, 2}, []bool{false, false}, 5), map[string]string{"activation": "relu", "loss": "ce"}, loadmodel.Choices{Activation: kind.ReLU, Loss: kind.CE},
			"mlp/relu/ce C=2 d=4 N=5 m=3 σw=1 σv=1 seed=1", ""},
		{"activation missing", model([]int{4, 3, 2}, []bool{false, false}, 5), nil, loadmodel.Choices{Loss: kind.CE}, "", "activation"},
		{"activation contradicts metadata", model([]int{4, 3, 2}, []bool{false, false}, 5), map[string]string{"activation": "relu"}, loadmodel.Choices{Activation: kind.Tanh, Loss: kind.CE}, "", "activation"},
		{"loss missing", model([]int{4, 3, 2}, []bool{false, false}, 5), nil, loadmodel.Choices{Activation: kind.Tanh}, "", "loss"},
		{"loss contradicts metadata", model([]int{4, 3, 2}, []bool{false, false}, 5), map[string]string{"loss": "mse"}, loadmodel.Choices{Activation: kind.Tanh, Loss: kind.CE}, "", "loss"},
		{"bad flag value", model([]int{4, 3, 2}, []bool{false, false}, 5), nil, loadmodel.Choices{Activation: "swish", Loss: kind.CE}, "", "activation"},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.m.Metadata = c.meta
			cfg, err := loadmodel.Config(c.m, c.ch)
			var ce *loadmodel.ChoiceError
			if c.choice != "" {
				if !errors.As(err, &ce) || ce.Flag != c.choice || !strings.Contains(err.Error(), c.choice) {
					t.Fatalf("error %v, want a ChoiceError naming %s", err, c.choice)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := cfg.String(); got != c.want {
				t.Errorf("config %s\nwant   %s", got, c.want)
			}
		})
	}
}

// TestProblemInstallsTheFile: the problem's layers are the file's, after a
// round trip through both formats.
func TestProblemInstallsTheFile(t *testing.T) {
	src := model([]int{4, 3, 5, 2}, []bool{true, false, true}, 7)
	arrays := loadtest.Arrays(src.Weights, src.Biases, src.X, src.Labels)
	dir := t.TempDir()
	files := map[string][]byte{
		"m.npz":         loadtest.NPZ(arrays),
		"m.safetensors": loadtest.Safetensors(arrays, map[string]string{"activation": "tanh", "loss": "mse"}),
	}
	for name, b := range files {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name)
			if err := loadtest.WriteFile(path, b); err != nil {
				t.Fatal(err)
			}
			m, err := loadmodel.Read(path)
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := loadmodel.Config(m, loadmodel.Choices{Activation: kind.Tanh, Loss: kind.MSE})
			if err != nil {
				t.Fatal(err)
			}
			if err := loadmodel.CheckMeasure(m, cfg, membudget.Limit(), numerics.DefaultMaxDenseBytes, false); err != nil {
				t.Fatal(err)
			}
			p, err := loadmodel.Problem(m, cfg, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			for l, w := range p.Weights() {
				if !mat.Equal(w, src.Weights[l]) || !slices.Equal(p.Biases()[l], src.Biases[l]) {
					t.Errorf("layer %d differs from the file's", l+1)
				}
			}
			if !mat.Equal(p.X(), src.X) || !slices.Equal(p.Labels(), src.Labels) {
				t.Error("data differ from the file's")
			}
		})
	}
}

func TestProblemRefusesBadData(t *testing.T) {
	m := model([]int{4, 3, 2}, []bool{false, false}, 0)
	cfg, err := loadmodel.Config(m, loadmodel.Choices{Activation: kind.ReLU, Loss: kind.CE})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := loadmodel.Problem(m, cfg, nil, nil); !errors.Is(err, modelfile.ErrNoData) {
		t.Errorf("no data: %v, want ErrNoData", err)
	}
	x := mat.NewDense(3, 4, nil)
	if _, err := loadmodel.Problem(m, cfg, x, []int{0, 2, 1}); err == nil || !strings.Contains(err.Error(), "y[1] = 2") {
		t.Errorf("label 2 with C = 2: %v", err)
	}
	if _, err := loadmodel.Problem(m, cfg, mat.NewDense(3, 5, nil), []int{0, 1, 1}); err == nil || !strings.Contains(err.Error(), "d = 5") {
		t.Errorf("d = 5 for W1 with 4 columns: %v", err)
	}
	cfg.N = 3
	if err := loadmodel.CheckMeasure(m, cfg, 1000, numerics.DefaultMaxDenseBytes, true); !membudget.IsOver(err) || !strings.Contains(err.Error(), "N = 1 does not fit") {
		t.Errorf("1000-byte budget: %v", err)
	}
}
