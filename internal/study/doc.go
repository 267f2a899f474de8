// Package study is the reproduction behind `hessblock reproduce`: it
// measures the block statistics of Hessians at random initialization over
// a grid of class counts, forms block spectra and heatmaps, puts the laws
// of package theory beside them and assembles a report.Document.
//
//	o := study.Default()           // or study.Quick() for a seconds-long run
//	o.Dynamic.On = true            // add the training section
//	out, err := study.Run(ctx, o, study.Progress{Stage: …, Add: …, Log: os.Stderr})
//	// out.Doc: the report (report.Write renders Markdown, HTML, figures, CSV);
//	// out.Points: every grid record as JSON lines (hessblock sweep's format).
//
// The same Options give byte-identical output whatever Options.Workers.
//
// The report has one method per section (document.go): the setting and
// sizes; heatmaps; C·R and ρ of the linear model against C with the exact,
// finite-size and limit laws (THEORY.md §4.2–4.3); R per family of the ReLU
// MLP with its laws (§4.4–4.7); fitted exponents and limit constants
// (fit.go: least squares in log–log with Student-t intervals); block
// spectra against MP and GMP (§3); the grid data; then, after it, deeper
// networks at initialization (deep.go, Options.Deep: L = 2, 3, 4 on the
// dense path), the Gauss–Newton and residual parts G and Hres at
// initialization and along a GD run (curvature.go, Options.Curv), block
// preconditioners of H and G — per neuron, per layer, KFAC, diagonal,
// identity — at several dampings (preconditioners.go, package precond),
// and MP/GMP fits of block spectra without a law (specfit.go, package
// spectralfit); and, with Options.Dynamic, the training section (dynamic.go, runs of package
// internal/experiment). Grid cases are named (linear-mse, linear-ce-sigma0,
// linear-ce, mlp-mse, mlp-ce); every grid point is measured with
// sweep.Measure, that is numerics.Measure on the structured path, and
// every theory curve comes from the law table (theory.Lookup).
package study
