package numerics

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"codeberg.org/sbinet/npyio"
	"github.com/hessblock/hessblock/kind"
	"gonum.org/v1/gonum/mat"
)

func readNPY(t *testing.T, path string, ptr any) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := npyio.Read(f, ptr); err != nil {
		t.Fatalf("reading %s: %v", path, err)
	}
}

// equalExact compares bit for bit: export must not round.
func equalExact(t *testing.T, name string, got *mat.Dense, want mat.Matrix) {
	t.Helper()
	gr, gc := got.Dims()
	wr, wc := want.Dims()
	if gr != wr || gc != wc {
		t.Fatalf("%s: read %d×%d, wrote %d×%d", name, gr, gc, wr, wc)
	}
	for i := 0; i < wr; i++ {
		for j := 0; j < wc; j++ {
			if g, w := got.At(i, j), want.At(i, j); g != w {
				t.Fatalf("%s[%d,%d] = %v, want %v", name, i, j, g, w)
			}
		}
	}
}

func TestExportNPYRoundTrip(t *testing.T) {
	for _, cfg := range []Config{
		{Model: kind.Linear, Loss: kind.CE, C: 4, D: 5, N: 12, Sigma: 1, Seed: 3},
		{Model: kind.MLP, Activation: kind.Tanh, Loss: kind.MSE, C: 3, D: 4, N: 10, M: 5, SigmaW: 1, SigmaV: 1, Seed: 5},
	} {
		t.Run(string(cfg.Model), func(t *testing.T) {
			p, h := denseProblem(t, cfg)
			dir := filepath.Join(t.TempDir(), "new", "dir") // created by ExportNPY
			if err := ExportNPY(dir, p, h); err != nil {
				t.Fatal(err)
			}

			var got mat.Dense
			readNPY(t, filepath.Join(dir, "hessian.npy"), &got)
			equalExact(t, "hessian", &got, h)
			readNPY(t, filepath.Join(dir, "X.npy"), &got)
			equalExact(t, "X", &got, p.X())
			readNPY(t, filepath.Join(dir, "W.npy"), &got)
			equalExact(t, "W", &got, p.W())
			_, errV := os.Stat(filepath.Join(dir, "V.npy"))
			if cfg.Model == kind.MLP {
				readNPY(t, filepath.Join(dir, "V.npy"), &got)
				equalExact(t, "V", &got, p.V())
			} else if errV == nil {
				t.Error("V.npy written for the linear model")
			}
			var labels []int64
			readNPY(t, filepath.Join(dir, "labels.npy"), &labels)
			if len(labels) != cfg.N {
				t.Fatalf("%d labels, want %d", len(labels), cfg.N)
			}
			for i, y := range p.Labels() {
				if labels[i] != int64(y) {
					t.Fatalf("label %d = %d, want %d", i, labels[i], y)
				}
			}

			var layout struct {
				P        int           `json:"params"`
				Blocks   []Block       `json:"blocks"`
				Families []kind.Family `json:"families"`
			}
			readJSON(t, filepath.Join(dir, "layout.json"), &layout)
			want := p.Layout()
			if layout.P != want.P || len(layout.Blocks) != len(want.Blocks) {
				t.Fatalf("layout.json: P=%d with %d blocks, want %d with %d", layout.P, len(layout.Blocks), want.P, len(want.Blocks))
			}
			for i := range want.Blocks {
				if layout.Blocks[i] != want.Blocks[i] {
					t.Errorf("block %d = %+v, want %+v", i, layout.Blocks[i], want.Blocks[i])
				}
			}
			if strings.Join(famStrings(layout.Families), ",") != strings.Join(famStrings(want.Families()), ",") {
				t.Errorf("families %v, want %v", layout.Families, want.Families())
			}

			var config struct {
				Config
				P     int     `json:"params"`
				Gamma float64 `json:"gamma"`
			}
			readJSON(t, filepath.Join(dir, "config.json"), &config)
			if !reflect.DeepEqual(config.Config, cfg) || config.P != p.NumParams() || config.Gamma != cfg.Gamma() {
				t.Errorf("config.json = %+v, want %+v with P=%d γ=%v", config, cfg, p.NumParams(), cfg.Gamma())
			}

			// No temporary files are left behind.
			entries, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range entries {
				if strings.HasSuffix(e.Name(), ".tmp") {
					t.Errorf("temporary file %s left in %s", e.Name(), dir)
				}
			}
		})
	}
}

func TestExportNPYWithoutHessian(t *testing.T) {
	p := mustProblem(t, DefaultConfig(kind.Linear))
	dir := t.TempDir()
	if err := ExportNPY(dir, p, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "hessian.npy")); !os.IsNotExist(err) {
		t.Errorf("hessian.npy written for a nil Hessian (stat error %v)", err)
	}
	for _, name := range []string{"X.npy", "W.npy", "labels.npy", "layout.json", "config.json"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Error(err)
		}
	}
}

func TestExportNPYErrors(t *testing.T) {
	p := mustProblem(t, DefaultConfig(kind.Linear))
	if err := ExportNPY(t.TempDir(), nil, nil); err == nil {
		t.Error("nil problem: no error")
	}
	if err := ExportNPY(t.TempDir(), p, mat.NewSymDense(3, nil)); err == nil {
		t.Error("Hessian of the wrong size: no error")
	}
	// A regular file where the directory should be.
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := ExportNPY(file, p, nil); err == nil {
		t.Error("directory is a regular file: no error")
	}
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func famStrings(fs []kind.Family) []string {
	s := make([]string, len(fs))
	for i, f := range fs {
		s[i] = string(f)
	}
	return s
}
