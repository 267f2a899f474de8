package inspect

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/hessblock/hessblock/kind"
	"github.com/hessblock/hessblock/numerics"
)

func TestWriteFigures(t *testing.T) {
	for _, cfg := range []numerics.Config{
		{Model: kind.Linear, Loss: kind.CE, C: 5, D: 6, N: 20, Sigma: 1, Seed: 1},
		{Model: kind.MLP, Activation: kind.ReLU, Loss: kind.MSE, C: 3, D: 4, N: 16, M: 3, SigmaW: 1, SigmaV: 1, Seed: 2},
	} {
		p, err := numerics.NewProblem(cfg)
		if err != nil {
			t.Fatal(err)
		}
		h, err := p.Hessian()
		if err != nil {
			t.Fatal(err)
		}
		dirs := []string{t.TempDir(), t.TempDir()}
		for _, dir := range dirs {
			if err := WriteFigures(dir, p, h); err != nil {
				t.Fatalf("%v: %v", cfg, err)
			}
		}
		for _, f := range []string{"heatmap", "blockmap", "spectra"} {
			for _, ext := range []string{".png", ".svg"} {
				a, err := os.ReadFile(filepath.Join(dirs[0], f+ext))
				if err != nil || len(a) == 0 {
					t.Errorf("%v: %s%s: %v", cfg, f, ext, err)
					continue
				}
				b, _ := os.ReadFile(filepath.Join(dirs[1], f+ext))
				if !bytes.Equal(a, b) {
					t.Errorf("%v: %s%s not deterministic", cfg, f, ext)
				}
			}
		}
	}
	if err := WriteFigures(t.TempDir(), nil, nil); err == nil {
		t.Error("nil problem accepted")
	}
}

func TestWriteEigvecFigure(t *testing.T) {
	p, res := measured(t, deepMLP, 0)
	if err := Analyze(p, &res, Options{Eigvecs: 8, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	dirs := []string{t.TempDir(), t.TempDir()}
	for _, dir := range dirs {
		if err := WriteEigvecFigure(dir, p, res.Eigvecs); err != nil {
			t.Fatal(err)
		}
	}
	for _, ext := range []string{".png", ".svg"} {
		a, err := os.ReadFile(filepath.Join(dirs[0], "eigvec_mass"+ext))
		if err != nil || len(a) == 0 {
			t.Fatalf("eigvec_mass%s: %v", ext, err)
		}
		if b, _ := os.ReadFile(filepath.Join(dirs[1], "eigvec_mass"+ext)); !bytes.Equal(a, b) {
			t.Errorf("eigvec_mass%s not deterministic", ext)
		}
	}
	if err := WriteEigvecFigure(t.TempDir(), p, nil); err == nil {
		t.Error("no eigenvectors accepted")
	}
	bad := append([]Eigvec(nil), res.Eigvecs[0])
	bad[0].BlockMass = bad[0].BlockMass[1:]
	if err := WriteEigvecFigure(t.TempDir(), p, bad); err == nil {
		t.Error("block masses of the wrong length accepted")
	}
}
