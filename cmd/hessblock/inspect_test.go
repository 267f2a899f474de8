package main

import (
	"encoding/json"
	"flag"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"codeberg.org/sbinet/npyio"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/hessblock/hessblock/internal/inspect"
	"github.com/hessblock/hessblock/kind"
	"github.com/hessblock/hessblock/numerics"
	"gonum.org/v1/gonum/mat"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// goldenArgs is a small MLP with every block family and square and
// non-square blocks. The preconditioner rows are left out: their Lanczos
// iteration counts and round-off residuals are not stable to the golden
// tolerance across BLAS kernels (TestPreconditionersMatchQuality checks
// them against precond.Quality instead).
var goldenArgs = []string{"inspect", "-json", "-model", "mlp", "-loss", "ce", "-C", "5", "-d", "6", "-N", "30", "-m", "4", "-precond=false"}

// goldenTolerance is relative, with an absolute floor for statistics that
// are round-off around zero. The numbers are computed in a fixed order, so
// on one platform they repeat bit for bit; the tolerance admits a different
// BLAS kernel or FMA contraction (round-off ~1e-15 relative), and nothing a
// real change in the Hessian would cause.
var goldenTolerance = cmpopts.EquateApprox(1e-9, 1e-12)

func TestInspectGolden(t *testing.T) {
	code, stdout, stderr := runCmd(t, goldenArgs...)
	if code != 0 {
		t.Fatalf("exit status %d:\n%s", code, stderr)
	}
	path := filepath.Join("testdata", "inspect.golden.json")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(stdout), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", path)
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (regenerate with: go test ./cmd/hessblock -run Golden -update)", err)
	}
	var got, exp any
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, stdout)
	}
	if err := json.Unmarshal(want, &exp); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	// peak_rss_bytes is the process's, not the statistics', and blas the
	// machine's (the golden numbers hold on every backend): left out, but
	// blas must name the backend that ran.
	delete(got.(map[string]any), "peak_rss_bytes")
	if b := got.(map[string]any)["blas"]; b != numerics.BLASBackend {
		t.Errorf(`"blas": %v, want %q`, b, numerics.BLASBackend)
	}
	delete(got.(map[string]any), "blas")
	if diff := cmp.Diff(exp, got, goldenTolerance); diff != "" {
		t.Errorf("inspect -json differs from %s (-want +got):\n%s", path, diff)
	}
	// The same command prints the same bytes, but for the peak RSS: no map
	// order or timing leaks in.
	rss := regexp.MustCompile(`"peak_rss_bytes": [0-9]+`)
	if _, again, _ := runCmd(t, goldenArgs...); rss.ReplaceAllString(again, "") != rss.ReplaceAllString(stdout, "") {
		t.Error("two runs of the same command print different JSON")
	}
}

// TestInspectJSONMatchesNumerics checks the printed statistics against the
// numerics package directly, so that the golden file is not the only
// witness of what inspect computes.
func TestInspectJSONMatchesNumerics(t *testing.T) {
	code, stdout, stderr := runCmd(t, "inspect", "-json", "-model", "linear", "-loss", "ce", "-C", "4", "-d", "5", "-N", "20", "-sigma", "0")
	if code != 0 {
		t.Fatalf("exit status %d:\n%s", code, stderr)
	}
	var res struct {
		Config    numerics.Config `json:"config"`
		Params    int             `json:"params"`
		Gamma     float64         `json:"gamma"`
		Ratios    []numerics.FamilyRatio
		Rho       float64 `json:"rho"`
		DiagBlock struct {
			A, B string
		} `json:"diag_block"`
		OffBlock struct {
			A, B      string
			LambdaMax *float64 `json:"lambda_max"`
		} `json:"off_block"`
	}
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatal(err)
	}
	want := numerics.Config{Model: kind.Linear, Loss: kind.CE, C: 4, D: 5, N: 20, Sigma: 0, Seed: 1}
	if !cmp.Equal(res.Config, want) || res.Params != 20 || res.Gamma != 0.25 {
		t.Errorf("config %+v P=%d γ=%v, want %+v P=20 γ=0.25", res.Config, res.Params, res.Gamma, want)
	}
	// THEORY §5.4: linear CE at W = 0 has ρ = 1/C and R = 1/(C−1) to round-off.
	if len(res.Ratios) != 1 || math.Abs(res.Ratios[0].R-1.0/3) > 1e-12 || math.Abs(res.Rho-0.25) > 1e-12 {
		t.Errorf("R = %+v, ρ = %v; want R = 1/3, ρ = 1/4", res.Ratios, res.Rho)
	}
	if res.DiagBlock.A != "W[0]" || res.DiagBlock.B != "W[0]" || res.OffBlock.A != "W[0]" || res.OffBlock.B != "W[1]" {
		t.Errorf("blocks %+v, %+v; want W[0],W[0] and W[0],W[1]", res.DiagBlock, res.OffBlock)
	}
	// H_01 = −S/C² is negative semidefinite: λmax ≤ 0 up to round-off.
	if res.OffBlock.LambdaMax == nil || *res.OffBlock.LambdaMax > 1e-12 {
		t.Errorf("off-diagonal λmax = %v, want ≤ 0", res.OffBlock.LambdaMax)
	}
}

func TestInspectTable(t *testing.T) {
	code, stdout, stderr := runCmd(t, "inspect", "-model", "mlp", "-C", "3", "-d", "4", "-N", "10", "-m", "1")
	if code != 0 {
		t.Fatalf("exit status %d:\n%s", code, stderr)
	}
	for _, want := range []string{
		"configuration: mlp/relu/ce C=3 d=4 N=10 m=1", "blas: " + numerics.BLASBackend + "\n",
		"R hidden-hidden    n/a", "R output-output", "R hidden-output", "ρ", "‖H‖_F", "λmax(H)",
		// m = 1: the only pair of one kind is two output blocks.
		"λmax H[W[0],W[0]]", "λmax H[V[0],V[1]]",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("table lacks %q:\n%s", want, stdout)
		}
	}
}

// Over the memory guard inspect switches to the structured path, says so,
// and reports the same R, ρ and ‖H‖_F as the dense path (exact identities)
// and λmax within the Lanczos residual.
func TestInspectStructuredFallback(t *testing.T) {
	for _, model := range [][]string{
		{"-model", "linear", "-C", "10", "-d", "20"},
		{"-model", "mlp", "-activation", "tanh", "-C", "6", "-d", "5", "-m", "4"},
	} {
		args := append([]string{"inspect", "-json"}, model...)
		code, denseOut, stderr := runCmd(t, args...)
		if code != 0 {
			t.Fatalf("dense: exit status %d: %s", code, stderr)
		}
		code, structOut, stderr := runCmd(t, append(args, "-max-dense-bytes", "1000")...)
		if code != 0 {
			t.Fatalf("structured: exit status %d: %s", code, stderr)
		}
		if !strings.Contains(stderr, "using structured statistics") {
			t.Errorf("the switch to the structured path is not announced; stderr:\n%s", stderr)
		}
		var dense, structured inspect.Result
		if err := json.Unmarshal([]byte(denseOut), &dense); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(structOut), &structured); err != nil {
			t.Fatal(err)
		}
		if dense.Method != "dense" || structured.Method != "structured" {
			t.Errorf("methods %q and %q", dense.Method, structured.Method)
		}
		approx := cmpopts.EquateApprox(1e-10, 1e-15)
		if d := cmp.Diff(dense.Ratios, structured.Ratios, approx); d != "" {
			t.Errorf("R per family differs (-dense +structured):\n%s", d)
		}
		if d := cmp.Diff([]float64{dense.Rho, dense.Frobenius}, []float64{structured.Rho, structured.Frobenius}, approx); d != "" {
			t.Errorf("ρ, ‖H‖_F differ (-dense +structured):\n%s", d)
		}
		if diff := math.Abs(dense.LambdaMax - structured.LambdaMax); diff > structured.LambdaMaxResidual+1e-12 {
			t.Errorf("λmax %g (dense) vs %g ± %g (Lanczos)", dense.LambdaMax, structured.LambdaMax, structured.LambdaMaxResidual)
		}
	}
}

func TestInspectNPY(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "export")
	code, _, stderr := runCmd(t, "inspect", "-model", "mlp", "-C", "3", "-d", "4", "-N", "10", "-m", "2", "-npy", dir)
	if code != 0 {
		t.Fatalf("exit status %d:\n%s", code, stderr)
	}
	for _, name := range []string{"hessian.npy", "layout.json", "W.npy", "V.npy", "X.npy", "labels.npy", "config.json"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Error(err)
		}
	}
	f, err := os.Open(filepath.Join(dir, "hessian.npy"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var h mat.Dense
	if err := npyio.Read(f, &h); err != nil {
		t.Fatal(err)
	}
	if r, c := h.Dims(); r != 14 || c != 14 { // P = m·d + C·m = 2·4 + 3·2
		t.Errorf("hessian.npy is %d×%d, want 14×14", r, c)
	}
}

// D6: H = 0 exactly (the softmax saturates at σ = 1e308): R and ρ are
// 0/0 and reported as undefined, in the table and as JSON null with a
// reason, never as 0.
func TestInspectUndefinedStatistics(t *testing.T) {
	args := []string{"inspect", "-sigma", "1e308", "-C", "3", "-d", "3", "-N", "5"}
	code, stdout, stderr := runCmd(t, args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"R output-output    undefined (H = 0)", "ρ                  undefined (H = 0)"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("table lacks %q:\n%s", want, stdout)
		}
	}
	code, stdout, stderr = runCmd(t, append(args, "-json")...)
	if code != 0 {
		t.Fatalf("-json: exit %d: %s", code, stderr)
	}
	var res map[string]any
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatalf("-json output is not JSON: %v\n%s", err, stdout)
	}
	ratio := res["ratios"].([]any)[0].(map[string]any)
	if res["rho"] != nil || res["rho_undefined"] != "H = 0" || ratio["R"] != nil || ratio["R_undefined"] != "H = 0" {
		t.Errorf("JSON rho %v (%v), R %v (%v); want null with reason H = 0", res["rho"], res["rho_undefined"], ratio["R"], ratio["R_undefined"])
	}
}
