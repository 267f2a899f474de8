package study

import (
	"fmt"
	"strings"

	"github.com/hessblock/hessblock/internal/report"
	"github.com/hessblock/hessblock/spectralfit"
)

// specFitSection: MP and GMP fitted to block spectra without a law.
func (s *state) specFitSection(w *docWriter) error {
	f := s.o.SpecFit
	w.add(&report.Heading{Level: 2, Text: "7. Fitted spectra where no law exists"})
	w.add(&report.Paragraph{Text: fmt.Sprintf("THEORY §3 gives the limit laws of diagonal blocks at initialization of the one-hidden-layer network; it has none for trained networks or deeper ones. Here the eigenvalues of the first %d first-layer diagonal blocks (d×d, d = %d) of ReLU networks under CE (N = %d, γ = %s, m = %d, C = %d, seed 1), each block scaled to mean eigenvalue 1 and pooled (%d eigenvalues), are fitted by package spectralfit (laws: %s; MP(γ, σ²), GMPLogNormal the GMP law with log-normal weights e^{μ + s·g}) at the known γ, by minimum Kolmogorov–Smirnov distance, with %d bootstrap resamples behind each ± (a conservative error: eigenvalues are rigid, THEORY §7.6). The spectra: the L = 2 network at initialization (reference; its law is GMP, §3), the same network after %d full-batch GD steps at learning rate %s, and an L = %d network at initialization. Spikes are eigenvalues beyond the fitted edge by more than 5 Tracy–Widom scales. A fit that does not converge is reported as such, never as a number. Every number comes from `go run ./cmd/hessblock reproduce`.",
		f.Blocks, f.D, f.N, fmtG(float64(f.D)/float64(f.N)), f.M, f.C, f.Blocks*f.D, modelNames(f.Models), f.Bootstrap, f.Steps, fmtG(f.LR), f.Depth)})
	w.add(s.specFitTable())
	return nil
}

func (s *state) specFitTable() *report.Table {
	t := &report.Table{Name: "spectral_fits", Caption: "Laws fitted to pooled first-layer block spectra (each block scaled to mean eigenvalue 1): parameters ± bootstrap standard deviation, KS distance of the whole sample, fitted upper edge and spikes beyond it.",
		Header: []string{"spectrum", "law", "parameters", "KS", "edge", "spikes"}}
	for _, c := range s.specFits {
		for j, m := range s.o.SpecFit.Models {
			fit, err := c.Fits[j], c.Errs[j]
			if fit == nil {
				t.Rows = append(t.Rows, []string{c.Label, m.String(), "did not converge: " + strings.TrimPrefix(fmt.Sprint(err), "spectralfit: "), "—", "—", "—"})
				continue
			}
			t.Rows = append(t.Rows, []string{c.Label, m.String(), fitParams(fit), fmt.Sprintf("%.3f", fit.KS), num(fit.Edge), itoa(fit.Spikes)})
		}
	}
	return t
}

// fitParams writes a fit's parameters with their errors, named as the
// model names them.
func fitParams(fit *spectralfit.Fit) string {
	names := map[spectralfit.Model][]string{
		spectralfit.MP:           {"σ²"},
		spectralfit.GMPLogNormal: {"μ", "s"},
		spectralfit.GMPTwoPoint:  {"low", "high", "P"},
	}[fit.Model]
	parts := make([]string, len(fit.Params))
	for i, v := range fit.Params {
		name := fmt.Sprintf("p%d", i)
		if i < len(names) {
			name = names[i]
		}
		parts[i] = fmt.Sprintf("%s = %s", name, pm(v, fit.StdErr[i]))
	}
	return strings.Join(parts, ", ")
}

func modelNames(ms []spectralfit.Model) string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.String()
	}
	return strings.Join(out, ", ")
}
