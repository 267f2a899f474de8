package study

import (
	"github.com/hessblock/hessblock/kind"
	"github.com/hessblock/hessblock/numerics"
	"gonum.org/v1/gonum/mat"
)

// heatCase is one whole Hessian shown as a heatmap.
type heatCase struct {
	Label  string
	Config numerics.Config
	H      *mat.SymDense
	Stats  *numerics.BlockStats
}

func (o Options) heatConfigs() []numerics.Config {
	var out []numerics.Config
	for _, c := range o.HeatC {
		out = append(out, numerics.Config{Model: kind.MLP, Activation: kind.ReLU, Loss: kind.CE,
			C: c, D: o.HeatD, N: o.HeatN, M: o.HeatM, SigmaW: 1, SigmaV: 1, Seed: 1})
	}
	for _, c := range o.HeatC {
		out = append(out, numerics.Config{Model: kind.Linear, Loss: kind.CE,
			C: c, D: o.HeatD, N: o.HeatN, Sigma: o.Sigma, Seed: 1})
	}
	return out
}

func measureHeat(cfg numerics.Config) (*heatCase, error) {
	p, err := numerics.NewProblem(cfg)
	if err != nil {
		return nil, err
	}
	h, err := p.Hessian()
	if err != nil {
		return nil, err
	}
	bs, err := numerics.ComputeBlockStats(h, p.Layout())
	if err != nil {
		return nil, err
	}
	return &heatCase{Config: cfg, H: h, Stats: bs}, nil
}

// kindBounds is Layout.Boundaries in block-index coordinates (for block maps).
func kindBounds(l numerics.Layout) (major []int) {
	for i, b := range l.Blocks {
		if i > 0 && b.Kind != l.Blocks[i-1].Kind {
			major = append(major, i)
		}
	}
	return major
}
