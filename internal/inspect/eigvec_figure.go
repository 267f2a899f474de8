package inspect

import (
	"fmt"
	"path/filepath"

	"gonum.org/v1/plot/vg"

	"github.com/hessblock/hessblock/internal/atomicfile"
	"github.com/hessblock/hessblock/internal/figures"
	"github.com/hessblock/hessblock/numerics"
)

// maxEigvecPanels bounds the panels of eigvec_mass: beyond six the figure
// stops being readable, and the JSON has every vector's masses anyway.
const maxEigvecPanels = 6

// WriteEigvecFigure writes eigvec_mass.png and .svg into dir: for each of
// the first six eigenvectors of vecs (Analyze's Eigvecs of p), the
// fraction of ‖v‖² on each block, with the layer boundaries marked. A
// block-diagonal H has eigenvectors inside one block: a single spike.
func WriteEigvecFigure(dir string, p *numerics.Problem, vecs []Eigvec) error {
	if p == nil || len(vecs) == 0 {
		return fmt.Errorf("inspect eigenvector figure: no problem or no eigenvectors")
	}
	l := p.Layout()
	var marks []float64
	for i, b := range l.Blocks {
		if i > 0 && b.Layer != l.Blocks[i-1].Layer {
			marks = append(marks, float64(i)-0.5)
		}
	}
	x := make([]float64, len(l.Blocks))
	for i := range x {
		x[i] = float64(i)
	}
	shown := vecs[:min(len(vecs), maxEigvecPanels)]
	var panels []figures.Drawer
	for i, e := range shown {
		if len(e.BlockMass) != len(l.Blocks) {
			return fmt.Errorf("inspect eigenvector figure: eigenvector %d has %d block masses for %d blocks", i+1, len(e.BlockMass), len(l.Blocks))
		}
		pl, err := figures.LinePanel{
			Title:  fmt.Sprintf("v%d: λ = %.4g, participation %.3g", i+1, e.Value, e.Participation),
			XLabel: "block index", YLabel: "fraction of ‖v‖²",
			Curves: []figures.Curve{{X: x, Y: e.BlockMass, Color: i}},
			Marks:  marks, YMin: 0, YMax: 1,
		}.Plot()
		if err != nil {
			return fmt.Errorf("inspect eigenvector figure: %w", err)
		}
		panels = append(panels, pl)
	}
	cols := min(2, len(panels))
	rows := (len(panels) + cols - 1) / cols
	title := fmt.Sprintf("%s: mass of the top eigenvectors of H per block", p.Config())
	if len(vecs) > len(shown) {
		title += fmt.Sprintf(" (%d of %d)", len(shown), len(vecs))
	}
	png, svg, err := figures.Render(figures.Titled{Title: title, Body: figures.Grid{Cols: cols, Panels: panels}},
		vg.Length(cols)*4.5*vg.Inch, vg.Length(rows)*3*vg.Inch+0.4*vg.Inch)
	if err != nil {
		return fmt.Errorf("inspect eigenvector figure: %w", err)
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, "eigvec_mass.png"), png); err != nil {
		return err
	}
	return atomicfile.WriteFile(filepath.Join(dir, "eigvec_mass.svg"), svg)
}
