package study

import (
	"fmt"
	"math"
	"sort"

	"gonum.org/v1/plot/vg"

	"github.com/hessblock/hessblock/internal/figures"
)

const curvePoints = 240

// spectrumFigures adds the separation, scaled-GMP and MP figures.
func (s *state) spectrumFigures(fig func(name, caption string, d figures.Drawer, w, h vg.Length) error) error {
	o := s.o
	gamma := float64(o.SpecD) / float64(o.SpecN)
	sig := o.Sigma
	limD, limO, err := limitLaws(gamma, sig)
	if err != nil {
		return err
	}

	// Separation: unscaled eigenvalues on a log axis.
	var sep []figures.Drawer
	for _, sp := range s.spectra {
		fc := float64(sp.C)
		ld, lo := positiveLog10(sp.Diag), positiveLog10(sp.Off)
		lo0, hi0 := minMax(append(append([]float64(nil), ld...), lo...))
		pad := 0.1 * (hi0 - lo0)
		xs := linspace(lo0-pad, hi0+pad, curvePoints)
		finD, err := empiricalLaw(gamma, sp.TauDiag)
		if err != nil {
			return err
		}
		finO, err := empiricalLaw(gamma, sp.TauOff)
		if err != nil {
			return err
		}
		hp := figures.HistPanel{
			Title:     fmt.Sprintf("C = %d", sp.C),
			XLabel:    "eigenvalue, unscaled (log scale)",
			YLabel:    "density of log10 eigenvalue",
			Log10Axis: true,
			Bins:      40,
			Hists: []figures.Hist{
				{Label: "diagonal blocks H_kk", Values: ld, Color: 0},
				{Label: "off-diagonal blocks −H_kl", Values: lo, Color: 1},
			},
			Curves: []figures.Curve{
				{Label: "GMP law of H_kk", X: xs, Y: mapF(xs, logDensity(finD, fc)), Color: 0},
				{Label: "GMP law of −H_kl", X: xs, Y: mapF(xs, logDensity(finO, fc*fc)), Color: 1},
			},
			LegendLeft: true,
		}
		p, err := hp.Plot()
		if err != nil {
			return err
		}
		sep = append(sep, p)
	}
	if err := fig("spectra_separation", fmt.Sprintf("Eigenvalues of diagonal blocks H_kk and of off-diagonal blocks −H_kl (pooled over %d blocks of each kind) of the linear CE Hessian, σ = %s, d = %d, N = %d, without rescaling, on a log10 axis. Diagonal blocks live at scale 1/C and off-diagonal ones at 1/C², so the two spectra move apart as C grows. Lines: the finite-C laws of THEORY §4 mapped back to the unscaled eigenvalues, GMP(γ, ν_C)/C and GMP(γ, ν′_C)/C², with ν_C, ν′_C the weights C·p_k(1−p_k) and C²·p_k·p_l of the samples drawn (Figure 6 shows the scaled spectra and the C → ∞ laws).",
		o.SpecBlocks, fmtG(sig), o.SpecD, o.SpecN),
		figures.Grid{Cols: len(sep), Panels: sep}, vg.Length(len(sep))*3.9*vg.Inch, 3.9*vg.Inch); err != nil {
		return err
	}

	// Scaled spectra against GMP.
	var top, bottom []figures.Drawer
	for _, sp := range s.spectra {
		fc := float64(sp.C)
		for row, kind := range []struct {
			vals  []float64
			scale float64
			taus  [][]float64
			lim   density
			name  string
		}{
			{sp.Diag, fc, sp.TauDiag, limD, "C·H_kk"},
			{sp.Off, fc * fc, sp.TauOff, limO, "−C²·H_kl"},
		} {
			vals := mapF(kind.vals, func(v float64) float64 { return v * kind.scale })
			fin, err := empiricalLaw(gamma, kind.taus)
			if err != nil {
				return err
			}
			xmax := quantile(vals, 0.99) * 1.15
			xs := linspace(0, xmax, curvePoints)
			hp := figures.HistPanel{
				Title:  fmt.Sprintf("%s, C = %d", kind.name, sp.C),
				XLabel: "eigenvalue of " + kind.name,
				Bins:   40,
				XMax:   xmax,
				Hists:  []figures.Hist{{Label: "measured", Values: vals, Color: row}},
				Curves: []figures.Curve{
					{Label: "GMP, finite-C weights", X: xs, Y: mapF(xs, fin.Prob), Color: 3},
					{Label: "GMP, C→∞ log-normal weights", X: xs, Y: mapF(xs, kind.lim.Prob), Color: 4, Dashed: true},
				},
			}
			p, err := hp.Plot()
			if err != nil {
				return err
			}
			if row == 0 {
				top = append(top, p)
			} else {
				bottom = append(bottom, p)
			}
		}
	}
	if err := fig("spectra_gmp", fmt.Sprintf("Scaled block spectra of linear CE, σ = %s, d = %d, N = %d (γ = %s): C·H_kk (top) and −C²·H_kl (bottom). Solid: GMP(γ, ν_C) with ν_C the weights C·p_k(1−p_k), resp. C²·p_k·p_l, of the samples actually drawn (averaged over the pooled blocks); dashed: the C → ∞ laws GMP(γ, LogN(−σ²/2, σ²)) and GMP(γ, LogN(−σ², 2σ²)). The finite-C law tracks the histogram at every C; the limit law is approached as C grows. The x axes stop at 1.15 × the 99th percentile; the few eigenvalues beyond are left out of the histogram (its area is the fraction kept).",
		fmtG(sig), o.SpecD, o.SpecN, fmtG(gamma)),
		figures.Grid{Cols: len(top), Panels: append(top, bottom...)}, vg.Length(len(top))*3.9*vg.Inch, 7.4*vg.Inch); err != nil {
		return err
	}

	// σ = 0: both scaled blocks are exactly S.
	sp := s.spectrum0
	fc := float64(sp.C)
	mpD, _, err := limitLaws(gamma, 0)
	if err != nil {
		return err
	}
	var mp []figures.Drawer
	for i, kind := range []struct {
		vals  []float64
		scale float64
		name  string
	}{
		{sp.Diag, fc * fc / (fc - 1), "(C²/(C−1))·H_kk"},
		{sp.Off, fc * fc, "−C²·H_kl"},
	} {
		vals := mapF(kind.vals, func(v float64) float64 { return v * kind.scale })
		_, hi := minMax(vals)
		xs := linspace(0, hi*1.08, curvePoints)
		hp := figures.HistPanel{
			Title:  fmt.Sprintf("%s, σ = 0, C = %d", kind.name, sp.C),
			XLabel: "eigenvalue of " + kind.name,
			Bins:   40,
			Hists:  []figures.Hist{{Label: "measured", Values: vals, Color: i}},
			Curves: []figures.Curve{{Label: fmt.Sprintf("MP(γ = %s)", fmtG(gamma)), X: xs, Y: mapF(xs, mpD.Prob), Color: 3}},
		}
		p, err := hp.Plot()
		if err != nil {
			return err
		}
		mp = append(mp, p)
	}
	return fig("spectra_mp", fmt.Sprintf("Linear CE at σ = 0 (W = 0, so p = 1/C): (C²/(C−1))·H_kk and −C²·H_kl both equal S = XXᵀ/N exactly, whose spectrum follows MP(γ), γ = %s (d = %d, N = %d, C = %d).", fmtG(gamma), o.SpecD, o.SpecN, sp.C),
		figures.Grid{Cols: 2, Panels: mp}, 7.8*vg.Inch, 3.9*vg.Inch)
}

// logDensity returns the density of log10(μ/scale) where μ has density
// d: f(x) = scale·d(scale·10^x)·10^x·ln 10.
func logDensity(d density, scale float64) func(x float64) float64 {
	return func(x float64) float64 {
		lam := math.Pow(10, x)
		return scale * d.Prob(scale*lam) * lam * math.Ln10
	}
}

func positiveLog10(v []float64) []float64 {
	out := make([]float64, 0, len(v))
	for _, x := range v {
		if x > 0 {
			out = append(out, math.Log10(x))
		}
	}
	return out
}

// quantile returns the q-quantile of v (nearest rank).
func quantile(v []float64, q float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	i := int(math.Ceil(q*float64(len(s)))) - 1
	return s[min(max(i, 0), len(s)-1)]
}

func minMax(v []float64) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, x := range v {
		lo, hi = math.Min(lo, x), math.Max(hi, x)
	}
	return lo, hi
}

func linspace(a, b float64, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = a + (b-a)*float64(i)/float64(n-1)
	}
	return out
}
