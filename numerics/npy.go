package numerics

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"codeberg.org/sbinet/npyio"
	"github.com/hessblock/hessblock/internal/atomicfile"
	"github.com/hessblock/hessblock/kind"
	"gonum.org/v1/gonum/mat"
)

// ExportNPY writes problem p, and its Hessian h if h is not nil, into dir
// (created if missing) as NumPy files:
//
//	hessian.npy  P×P float64, rows and columns in θ order (skipped when h is nil)
//	layout.json  {"params": P, "blocks": [{name, kind, layer, index, start, size}…], "families": […]}
//	W.npy        first-layer weights, C×d (linear) or m×d (MLP), float64
//	V.npy        output weights C×m, float64 (two-layer MLP only)
//	W1.npy …     every layer's weights h_l×h_{l−1} (deeper networks or with biases)
//	b1.npy …     the bias of every layer that has one, length h_l
//	X.npy        data N×d, one sample per row, float64
//	labels.npy   N int64 labels in [0, C)
//	config.json  the Config with "params" (P) and "gamma" (d/N)
//
// Load them in NumPy with
//
//	import json, numpy as np
//	H = np.load("dir/hessian.npy")            # (P, P)
//	X, y = np.load("dir/X.npy"), np.load("dir/labels.npy")
//	layout = json.load(open("dir/layout.json"))
//	b = layout["blocks"][0]
//	H00 = H[b["start"]:b["start"]+b["size"], b["start"]:b["start"]+b["size"]]
//
// Each file is written to a temporary file in dir and renamed into place,
// so a reader never sees a partial file. Writing hessian.npy needs a second
// P×P buffer in memory, because npyio writes only dense matrices.
func ExportNPY(dir string, p *Problem, h mat.Symmetric) error {
	if err := p.check(); err != nil {
		return fmt.Errorf("numerics: ExportNPY: %w", err)
	}
	np := p.NumParams()
	if isNilMatrix(h) {
		h = nil // a nil *mat.SymDense means no Hessian, like nil
	}
	if h != nil {
		if n := h.SymmetricDim(); n != np {
			return fmt.Errorf("numerics: ExportNPY: Hessian is %d×%d, want P×P = %d×%d", n, n, np, np)
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("numerics: ExportNPY: %w", err)
	}
	cfg := p.Config()
	l := p.Layout()
	layout := struct {
		P        int           `json:"params"`
		Blocks   []Block       `json:"blocks"`
		Families []kind.Family `json:"families"`
	}{l.P, l.Blocks, l.Families()}
	config := struct {
		Config
		P     int     `json:"params"`
		Gamma float64 `json:"gamma"`
	}{cfg, np, cfg.Gamma()}
	labels := make([]int64, len(p.Labels()))
	for i, y := range p.Labels() {
		labels[i] = int64(y)
	}

	files := []struct {
		name  string
		write func(io.Writer) error
	}{
		{"layout.json", jsonWriter(layout)},
		{"config.json", jsonWriter(config)},
		{"X.npy", npyWriter(p.X())},
		{"labels.npy", npyWriter(labels)},
		{"W.npy", npyWriter(p.W())},
	}
	if p.V() != nil {
		files = append(files, struct {
			name  string
			write func(io.Writer) error
		}{"V.npy", npyWriter(p.V())})
	}
	if !cfg.legacy() {
		// Every layer of a deeper network or one with biases: W1.npy, b1.npy, …
		for l, w := range p.Weights() {
			files = append(files, struct {
				name  string
				write func(io.Writer) error
			}{fmt.Sprintf("W%d.npy", l+1), npyWriter(w)})
			if b := p.Biases()[l]; b != nil {
				files = append(files, struct {
					name  string
					write func(io.Writer) error
				}{fmt.Sprintf("b%d.npy", l+1), npyWriter(append([]float64(nil), b...))})
			}
		}
	}
	for _, f := range files {
		if err := atomicfile.Write(filepath.Join(dir, f.name), f.write); err != nil {
			return err
		}
	}
	if h != nil {
		// Convert after the small files so that a failure there costs no
		// P×P copy; release the copy as soon as it is written.
		hd := mat.NewDense(np, np, nil)
		for i := 0; i < np; i++ {
			for j := i; j < np; j++ {
				v := h.At(i, j)
				hd.Set(i, j, v)
				hd.Set(j, i, v)
			}
		}
		if err := atomicfile.Write(filepath.Join(dir, "hessian.npy"), npyWriter(hd)); err != nil {
			return err
		}
	}
	return nil
}

func npyWriter(v any) func(io.Writer) error {
	return func(w io.Writer) error { return npyio.Write(w, v) }
}

func jsonWriter(v any) func(io.Writer) error {
	return func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
}
