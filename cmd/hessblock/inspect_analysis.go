package main

import (
	"flag"
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"

	"github.com/hessblock/hessblock/internal/inspect"
	"github.com/hessblock/hessblock/precond"
)

// Above these P, inspect leaves out by default the analyses that would
// make it several times slower (an explicit flag forces them). The
// preconditioners cost five Lanczos runs on dense products and an
// eigendecomposition of every layer's block, O(P³) for one layer; on 2
// busy cores the linear model took 0.3 s at P = 200 (the default
// configuration) and P = 300, 1–2 s at P = 500 and 11 s at P = 1000, where
// the statistics alone take 0.04 s, 0.04 s, 0.06 s and 0.4 s. The split
// costs two more dense matrices, their block statistics and λmax:
// 0.5–1 s → 1.6–2.8 s at P = 2000, 5 s → 12–17 s and twice the memory
// at P = 4000; on 2 idle cores the linear model at P = 2000 went from
// 0.18 s to 0.52 s, so the default stops at P = 1000, where the split
// adds about 0.1 s, and the statistics users compare with a numpy peer
// (bench/README.md) are measured alone.
const (
	precondMaxParams   = 300
	curvatureMaxParams = 1000
)

// analysisFlags are inspect's flags for the analyses beyond the block
// statistics (internal/inspect.Options).
type analysisFlags struct {
	curvature, precond           *bool
	damping, dampingFactor       *float64
	eigvecs, traceProbes         *int
	curvatureSet, precondSet     bool
	dampingSet, dampingFactorSet bool
}

func addAnalysisFlags(fs *flag.FlagSet) *analysisFlags {
	return &analysisFlags{
		curvature:     fs.Bool("curvature", true, fmt.Sprintf("also give the statistics of the Gauss–Newton part G and the residual part Hres of H = G + Hres (default: on the dense path with P ≤ %d; set it to force, on the structured path only their λmax)", curvatureMaxParams)),
		precond:       fs.Bool("precond", true, fmt.Sprintf("also rate per-neuron, per-layer, KFAC, diagonal and identity preconditioners (default: on the dense path with P ≤ %d; set it to force)", precondMaxParams)),
		damping:       fs.Float64("damping", 0, "absolute damping `λ` > 0 of the preconditioners (default: -damping-factor × λmax(H))"),
		dampingFactor: fs.Float64("damping-factor", precond.DefaultDampingFactor, "damping as a `fraction` of λmax(H), when -damping is not given"),
		eigvecs:       fs.Int("eigvecs", 0, "also compute the top `k` eigenvectors of H (Lanczos) and their mass per layer and block (0: off)"),
		traceProbes:   fs.Int("trace-probes", 0, "also estimate tr(H) by Hutchinson and Hutch++ with `m` probes, and the trace per layer (0: off)"),
	}
}

// check validates the flags once fs is parsed, for a problem of p
// parameters (unknown, 0, when the configuration comes later).
func (a *analysisFlags) check(fs *flag.FlagSet, p int) error {
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "curvature":
			a.curvatureSet = true
		case "precond":
			a.precondSet = true
		case "damping":
			a.dampingSet = true
		case "damping-factor":
			a.dampingFactorSet = true
		}
	})
	bad := func(v float64) bool { return !(v > 0) || math.IsInf(v, 0) }
	switch {
	case a.dampingSet && a.dampingFactorSet:
		return inspectUsage("-damping and -damping-factor are exclusive (the first is absolute, the second relative to λmax(H))")
	case a.dampingSet && bad(*a.damping):
		return inspectUsage("-damping = %v, want a finite value > 0", *a.damping)
	case bad(*a.dampingFactor):
		return inspectUsage("-damping-factor = %v, want a finite value > 0", *a.dampingFactor)
	case *a.eigvecs < 0:
		return inspectUsage("-eigvecs = %d, want ≥ 0 (0: off)", *a.eigvecs)
	case p > 0 && *a.eigvecs > p:
		return inspectUsage("-eigvecs = %d, more than the P = %d eigenvectors H has", *a.eigvecs, p)
	case *a.traceProbes < 0, a.given(fs, "trace-probes") && *a.traceProbes < 1:
		return inspectUsage("-trace-probes = %d, want ≥ 1 (leave it out for no traces)", *a.traceProbes)
	}
	return nil
}

func (a *analysisFlags) given(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// options resolves the defaults that depend on the measurement: the
// curvature split and the preconditioners are on by default on the dense
// path up to curvatureMaxParams and precondMaxParams, and an explicit flag
// overrides that.
func (a *analysisFlags) options(res inspect.Result, seed uint64) inspect.Options {
	dense := res.Hessian != nil
	o := inspect.Options{
		Curvature:   *a.curvature && ((dense && res.Params <= curvatureMaxParams) || a.curvatureSet),
		Precond:     *a.precond && ((dense && res.Params <= precondMaxParams) || a.precondSet),
		Eigvecs:     *a.eigvecs,
		TraceProbes: *a.traceProbes,
		Seed:        seed,
	}
	if a.dampingSet {
		o.Damping = *a.damping
	} else {
		o.DampingFactor = *a.dampingFactor
	}
	return o
}

// writeAnalysisTable prints the analyses of res, a compact section each,
// after the statistics table.
func writeAnalysisTable(w io.Writer, res inspect.Result) {
	g := func(v float64) string { return fmt.Sprintf("%.6g", v) }
	if res.GaussNewton != nil {
		fmt.Fprintf(w, "\nH = G + Hres (Gauss–Newton and residual parts)\n")
		tw := newTable(w)
		fmt.Fprintf(tw, "statistic\tH\tG\tHres\n")
		parts := []inspect.Stats{res.Stats, *res.GaussNewton, *res.Residual}
		line := func(name string, f func(s inspect.Stats) string) {
			cells := make([]string, len(parts))
			for i, s := range parts {
				cells[i] = f(s)
			}
			fmt.Fprintf(tw, "%s\t%s\n", name, strings.Join(cells, "\t"))
		}
		short := func(v float64, undefined, notComputed string) string {
			switch {
			case notComputed != "":
				return "–"
			case undefined != "":
				return "undefined"
			}
			return g(v)
		}
		for i, r := range res.Ratios {
			line("R "+string(r.Family), func(s inspect.Stats) string {
				if s.NotComputed != "" || i >= len(s.Ratios) {
					return "–"
				}
				if s.Ratios[i].Pairs == 0 {
					return "n/a"
				}
				return short(s.Ratios[i].R, s.Ratios[i].Undefined, "")
			})
		}
		line("ρ", func(s inspect.Stats) string { return short(s.Rho, s.RhoUndefined, s.NotComputed) })
		line("‖·‖_F", func(s inspect.Stats) string { return short(s.Frobenius, "", s.NotComputed) })
		line("λmax", func(s inspect.Stats) string { return g(s.LambdaMax) })
		tw.Flush()
		if res.GaussNewton.NotComputed != "" {
			fmt.Fprintf(w, "–: %s\n", res.GaussNewton.NotComputed)
		}
	}
	if len(res.Preconditioners) > 0 {
		fmt.Fprintf(w, "\npreconditioners: M = S(H + λI)S, S = (|B| + λI)^(−1/2), λ = %.4g\n", res.Preconditioners[0].Damping)
		tw := newTable(w)
		fmt.Fprintf(tw, "B\t‖H − B‖_F/‖H‖_F\tλmin(M)\tλmax(M)\tcondition\n")
		for _, r := range res.Preconditioners {
			rel := "undefined (" + r.RelErrorUndefined + ")"
			if r.RelErrorUndefined == "" {
				rel = g(r.RelError)
			}
			cond := "undefined"
			if r.ConditionUndefined == "" {
				cond = g(r.Condition)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Name, rel, g(r.LambdaMin), g(r.LambdaMax), cond)
		}
		tw.Flush()
	}
	if res.PrecondSkipped != "" {
		fmt.Fprintf(w, "\npreconditioners: not rated: %s\n", res.PrecondSkipped)
	}
	if len(res.Eigvecs) > 0 {
		fmt.Fprintf(w, "\ntop eigenvectors of H\n")
		tw := newTable(w)
		fmt.Fprintf(tw, "#\tλ\tresidual\tparticipation\tmass per layer\theaviest blocks\n")
		for i, e := range res.Eigvecs {
			var layers, blocks []string
			for _, m := range e.LayerMass {
				layers = append(layers, fmt.Sprintf("%s %.3f", m.Name, m.Mass))
			}
			for _, m := range e.TopBlocks[:min(3, len(e.TopBlocks))] {
				blocks = append(blocks, fmt.Sprintf("%s %.3f", m.Name, m.Mass))
			}
			fmt.Fprintf(tw, "%d\t%s\t%.2g\t%.4g\t%s\t%s\n", i+1, g(e.Value), e.Residual, e.Participation, strings.Join(layers, ", "), strings.Join(blocks, ", "))
		}
		tw.Flush()
	}
	if t := res.Trace; t != nil {
		probes := "probes"
		if t.Probes == 1 {
			probes = "probe"
		}
		fmt.Fprintf(w, "\ntrace of H (%d %s)\n", t.Probes, probes)
		tw := newTable(w)
		pm := func(e inspect.Estimate) string {
			if math.IsInf(e.StdErr, 0) {
				return g(e.Trace) + " (one probe: no standard error)"
			}
			return fmt.Sprintf("%s ± %.2g", g(e.Trace), e.StdErr)
		}
		if !math.IsNaN(t.Exact) {
			fmt.Fprintf(tw, "exact\t%s\n", g(t.Exact))
		}
		fmt.Fprintf(tw, "Hutchinson\t%s\n", pm(t.Hutchinson))
		fmt.Fprintf(tw, "Hutch++\t%s\n", pm(t.HutchPlusPlus))
		if d := t.Diagonal; d != nil && !math.IsNaN(d.MaxAbsZ) {
			fmt.Fprintf(tw, "diagonal	max |estimate − exact| / std err = %.2g over %d entries (-json: every entry)\n", d.MaxAbsZ, len(d.Estimate))
		}
		for _, l := range t.Layers {
			if l.Exact {
				fmt.Fprintf(tw, "layer %s\t%s\n", l.Layer, g(l.Trace))
			} else {
				fmt.Fprintf(tw, "layer %s\t%s\n", l.Layer, pm(inspect.Estimate{Trace: l.Trace, StdErr: l.StdErr}))
			}
		}
		tw.Flush()
	}
}

// newTable returns the tabwriter of inspect's tables.
func newTable(w io.Writer) *tabwriter.Writer { return tabwriter.NewWriter(w, 0, 0, 2, ' ', 0) }
