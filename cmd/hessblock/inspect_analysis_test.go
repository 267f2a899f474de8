package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// analysisJSON decodes the parts of inspect -json the analyses add.
type analysisJSON struct {
	Params      int      `json:"params"`
	Rho         *float64 `json:"rho"`
	Frobenius   float64  `json:"frobenius"`
	LambdaMax   float64  `json:"lambda_max"`
	GaussNewton *struct {
		Rho       *float64 `json:"rho"`
		Frobenius *float64 `json:"frobenius"`
		LambdaMax float64  `json:"lambda_max"`
		Residual  float64  `json:"lambda_max_residual"`
		Not       string   `json:"not_computed"`
	} `json:"gauss_newton"`
	Residual *struct {
		Rho          *float64 `json:"rho"`
		RhoUndefined string   `json:"rho_undefined"`
		Frobenius    *float64 `json:"frobenius"`
		LambdaMax    float64  `json:"lambda_max"`
		Not          string   `json:"not_computed"`
	} `json:"residual"`
	Preconditioners []struct {
		Name      string   `json:"name"`
		Damping   float64  `json:"damping"`
		Condition *float64 `json:"condition"`
		RelError  *float64 `json:"rel_error"`
	} `json:"preconditioners"`
	PrecondSkipped string `json:"preconditioners_skipped"`
	Eigvecs        []struct {
		Value     float64 `json:"value"`
		LayerMass []struct {
			Name string  `json:"name"`
			Mass float64 `json:"mass"`
		} `json:"layer_mass"`
		BlockMass []float64 `json:"block_mass"`
	} `json:"eigvecs"`
	Trace *struct {
		Exact      *float64 `json:"exact"`
		Hutchinson struct {
			Trace  float64  `json:"trace"`
			StdErr *float64 `json:"std_err"`
		} `json:"hutchinson"`
		Layers []struct {
			Layer string  `json:"layer"`
			Trace float64 `json:"trace"`
		} `json:"layers"`
	} `json:"trace"`
}

func inspectAnalysis(t *testing.T, args ...string) analysisJSON {
	t.Helper()
	code, stdout, stderr := runCmd(t, append([]string{"inspect", "-json"}, args...)...)
	if code != 0 {
		t.Fatalf("%v: exit status %d:\n%s", args, code, stderr)
	}
	var res analysisJSON
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatalf("%v: %v\n%s", args, err, stdout)
	}
	return res
}

// For the linear model H = G: the residual object is zero and the
// Gauss–Newton object repeats the top level.
func TestInspectCurvatureLinear(t *testing.T) {
	res := inspectAnalysis(t, "-model", "linear", "-C", "5", "-d", "6", "-N", "30")
	g, r := res.GaussNewton, res.Residual
	if g == nil || r == nil {
		t.Fatal("no gauss_newton or residual object")
	}
	if r.Frobenius == nil || *r.Frobenius != 0 || r.Rho != nil || r.RhoUndefined == "" || r.LambdaMax != 0 {
		t.Errorf("residual %+v: want frobenius 0, λmax 0, ρ null with a reason", r)
	}
	if g.Rho == nil || math.Abs(*g.Rho-*res.Rho) > 1e-12 || math.Abs(*g.Frobenius-res.Frobenius) > 1e-12*res.Frobenius ||
		math.Abs(g.LambdaMax-res.LambdaMax) > g.Residual+1e-12 {
		t.Errorf("gauss_newton ρ %v ‖·‖_F %v λmax %v; top level %v %v %v", *g.Rho, *g.Frobenius, g.LambdaMax, *res.Rho, res.Frobenius, res.LambdaMax)
	}
	if len(res.Preconditioners) != 5 || res.Preconditioners[0].Name != "per-neuron" || res.Preconditioners[4].Name != "identity" {
		t.Errorf("preconditioners %+v, want the five rows by default at small P", res.Preconditioners)
	}
	// -damping is absolute; the linear model's per-layer block is H: M = I.
	res = inspectAnalysis(t, "-model", "linear", "-C", "5", "-d", "6", "-N", "30", "-damping", "0.01", "-curvature=false")
	if res.GaussNewton != nil || len(res.Preconditioners) != 5 || res.Preconditioners[1].Damping != 0.01 ||
		res.Preconditioners[1].Condition == nil || math.Abs(*res.Preconditioners[1].Condition-1) > 1e-6 {
		t.Errorf("-damping 0.01 -curvature=false: split %v, rows %+v", res.GaussNewton, res.Preconditioners)
	}
	// Above precondMaxParams the rows are left out unless -precond is given.
	big := []string{"-C", "4", "-d", "80", "-N", "40", "-curvature=false"} // P = 320
	if res := inspectAnalysis(t, big...); res.Preconditioners != nil || res.PrecondSkipped != "" {
		t.Errorf("P = 320: rows %v by default", res.Preconditioners)
	}
	if res := inspectAnalysis(t, append(big, "-precond")...); len(res.Preconditioners) != 5 {
		t.Errorf("P = 320 with -precond: %d rows, want 5", len(res.Preconditioners))
	}
	if res := inspectAnalysis(t, "-C", "3", "-d", "4", "-N", "10", "-precond=false", "-curvature=false"); res.Preconditioners != nil || res.Residual != nil {
		t.Error("-precond=false -curvature=false still computed them")
	}
}

// A deep network with biases goes through every analysis, with figures.
func TestInspectAnalysesDeep(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "fig")
	res := inspectAnalysis(t, "-model", "mlp", "-depth", "3", "-bias", "-activation", "tanh", "-C", "3", "-d", "4", "-N", "20", "-m", "3",
		"-eigvecs", "3", "-trace-probes", "30", "-fig", dir)
	if res.GaussNewton == nil || res.Residual == nil || res.Residual.Frobenius == nil || *res.Residual.Frobenius == 0 {
		t.Errorf("deep split %+v %+v: want both, Hres ≠ 0", res.GaussNewton, res.Residual)
	}
	if len(res.Preconditioners) != 5 {
		t.Errorf("%d preconditioner rows, want 5", len(res.Preconditioners))
	}
	if len(res.Eigvecs) != 3 {
		t.Fatalf("%d eigenvectors, want 3", len(res.Eigvecs))
	}
	for i, e := range res.Eigvecs {
		var sum, lsum float64
		for _, m := range e.BlockMass {
			sum += m
		}
		var names []string
		for _, m := range e.LayerMass {
			lsum += m.Mass
			names = append(names, m.Name)
		}
		if math.Abs(sum-1) > 1e-12 || math.Abs(lsum-1) > 1e-12 || strings.Join(names, ",") != "L1,L2,L3" {
			t.Errorf("v%d: block masses sum to %v, layers %v sum to %v", i+1, sum, names, lsum)
		}
		if i > 0 && e.Value > res.Eigvecs[i-1].Value {
			t.Errorf("eigenvalues not descending: %v after %v", e.Value, res.Eigvecs[i-1].Value)
		}
	}
	if math.Abs(res.Eigvecs[0].Value-res.LambdaMax) > 1e-8*res.LambdaMax {
		t.Errorf("top eigenvalue %v, λmax %v", res.Eigvecs[0].Value, res.LambdaMax)
	}
	tr := res.Trace
	if tr == nil || tr.Exact == nil || len(tr.Layers) != 3 || tr.Hutchinson.StdErr == nil {
		t.Fatalf("trace %+v", tr)
	}
	var layers float64
	for _, l := range tr.Layers {
		layers += l.Trace
	}
	if math.Abs(layers-*tr.Exact) > 1e-12*math.Abs(*tr.Exact) || math.Abs(tr.Hutchinson.Trace-*tr.Exact) > 5**tr.Hutchinson.StdErr {
		t.Errorf("trace exact %v, layers sum %v, Hutchinson %v ± %v", *tr.Exact, layers, tr.Hutchinson.Trace, *tr.Hutchinson.StdErr)
	}
	for _, f := range []string{"eigvec_mass.png", "eigvec_mass.svg", "heatmap.png"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
}

// Off the dense path the split has λmax only and the preconditioners are
// not rated unless asked, then skipped with the reason.
func TestInspectAnalysesStructured(t *testing.T) {
	args := []string{"-model", "mlp", "-activation", "tanh", "-C", "4", "-d", "5", "-m", "3", "-N", "20", "-max-dense-bytes", "1000"}
	res := inspectAnalysis(t, args...)
	if res.GaussNewton != nil || res.Preconditioners != nil || res.PrecondSkipped != "" {
		t.Errorf("structured default computed the split %v or preconditioners %v %q", res.GaussNewton, res.Preconditioners, res.PrecondSkipped)
	}
	res = inspectAnalysis(t, append(args, "-curvature", "-precond", "-eigvecs", "2", "-trace-probes", "10")...)
	if g := res.GaussNewton; g == nil || g.Not == "" || g.Rho != nil || g.Frobenius != nil || !(g.LambdaMax > 0) {
		t.Errorf("structured split %+v: want λmax only, with the reason", g)
	}
	if res.PrecondSkipped == "" || len(res.Eigvecs) != 2 || res.Trace == nil || res.Trace.Exact != nil {
		t.Errorf("structured: skipped %q, %d eigenvectors, trace %+v", res.PrecondSkipped, len(res.Eigvecs), res.Trace)
	}
	code, stdout, stderr := runCmd(t, append([]string{"inspect"}, append(args, "-curvature", "-precond")...)...)
	if code != 0 || !strings.Contains(stdout, "not rated") || !strings.Contains(stdout, "G and Hres were not formed") {
		t.Errorf("structured table (status %d):\n%s\n%s", code, stdout, stderr)
	}
}

func TestInspectAnalysisTable(t *testing.T) {
	code, stdout, stderr := runCmd(t, "inspect", "-model", "mlp", "-C", "3", "-d", "4", "-N", "10", "-m", "2", "-eigvecs", "2", "-trace-probes", "5")
	if code != 0 {
		t.Fatalf("exit status %d:\n%s", code, stderr)
	}
	for _, want := range []string{
		"H = G + Hres", "statistic        H", "ρ", "λmax",
		"preconditioners: M = S(H + λI)S", "per-neuron", "per-layer", "KFAC", "diagonal", "identity",
		"top eigenvectors of H", "hidden ", "output ",
		"trace of H (5 probes)", "exact", "Hutchinson", "Hutch++", "layer hidden", "layer output",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("table lacks %q:\n%s", want, stdout)
		}
	}
	for _, line := range strings.Split(stdout, "\n") {
		if strings.HasSuffix(line, " ") {
			t.Errorf("trailing space in %q", line)
		}
	}
}

// Bad analysis flags are usage errors (status 2) that write nothing.
func TestInspectAnalysisUsage(t *testing.T) {
	small := []string{"-C", "3", "-d", "4", "-N", "10"} // linear, P = 12
	for _, bad := range [][]string{
		{"-damping", "0"}, {"-damping", "-1"}, {"-damping", "NaN"}, {"-damping", "+Inf"},
		{"-damping-factor", "0"}, {"-damping-factor", "NaN"}, {"-damping", "1", "-damping-factor", "0.1"},
		{"-eigvecs", "-1"}, {"-eigvecs", "13"}, {"-trace-probes", "0"}, {"-trace-probes", "-3"},
	} {
		dir := t.TempDir()
		fig, npy := filepath.Join(dir, "fig"), filepath.Join(dir, "npy")
		args := append(append([]string{"inspect", "-fig", fig, "-npy", npy}, small...), bad...)
		code, stdout, stderr := runCmd(t, args...)
		if code != 2 || stdout != "" || !strings.Contains(stderr, strings.TrimPrefix(bad[0], "-")) {
			t.Errorf("%v: status %d, stdout %q, stderr %q; want 2, nothing, a message naming the flag", bad, code, stdout, stderr)
		}
		if names := entries(t, dir); len(names) != 0 {
			t.Errorf("%v: wrote %v", bad, names)
		}
		for _, d := range []string{fig, npy} {
			if _, err := os.Stat(d); err == nil {
				t.Errorf("%v: created %s", bad, d)
			}
		}
	}
	// With -load, P is known once the file is read: still a usage error.
	dir := t.TempDir()
	code, stdout, stderr := runCmd(t, "inspect", "-load", filepath.Join("..", "..", "testdata", "models", "mlp3_tanh_ce.safetensors"),
		"-eigvecs", "75", "-fig", filepath.Join(dir, "fig")) // P = 74
	if code != 2 || stdout != "" || !strings.Contains(stderr, "P = 74") || len(entries(t, dir)) != 0 {
		t.Errorf("-load -eigvecs 75: status %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	// k = P is allowed: every eigenvector.
	if res := inspectAnalysis(t, append(small, "-eigvecs", "12", "-precond=false", "-curvature=false")...); len(res.Eigvecs) != 12 {
		t.Errorf("-eigvecs 12 of P = 12 gave %d", len(res.Eigvecs))
	}
}
