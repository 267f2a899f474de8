package main

import (
	"encoding/json"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"codeberg.org/sbinet/npyio"
	"gonum.org/v1/gonum/mat"

	"github.com/hessblock/hessblock/internal/experiment"
	"github.com/hessblock/hessblock/internal/inspect"
	"github.com/hessblock/hessblock/internal/loadmodel/loadtest"
)

// fixture is a committed PyTorch fixture (testdata/models).
func fixture(name string) string { return filepath.Join("..", "..", "testdata", "models", name) }

// loadNet returns the arrays of a small L = 3 network with biases: d = 4,
// widths 3, 3, C = 3, and n samples (none for n = 0).
func loadNet(n int) []loadtest.Array {
	rnd := rand.New(rand.NewPCG(5, 6))
	next := func() float64 { return rnd.NormFloat64() / 2 }
	dims := []int{4, 3, 3, 3}
	var ws []*mat.Dense
	var bs [][]float64
	for l := 1; l < len(dims); l++ {
		w := mat.NewDense(dims[l], dims[l-1], nil)
		for i := range w.RawMatrix().Data {
			w.RawMatrix().Data[i] = next()
		}
		b := make([]float64, dims[l])
		for i := range b {
			b[i] = next() / 4
		}
		ws, bs = append(ws, w), append(bs, b)
	}
	var x *mat.Dense
	var y []int
	if n > 0 {
		x = mat.NewDense(n, dims[0], nil)
		for i := range x.RawMatrix().Data {
			x.RawMatrix().Data[i] = next()
		}
		for i := 0; i < n; i++ {
			y = append(y, i%3)
		}
	}
	return loadtest.Arrays(ws, bs, x, y)
}

func writeModel(t *testing.T, dir, name string, b []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := loadtest.WriteFile(path, b); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestInspectLoadFixtures: inspect -load of each committed PyTorch fixture,
// in both formats, prints the statistics torch_deep_check.py recorded (to
// 1e−10 relative; measured ≤ 1e−15) and -npy writes its Hessian.
func TestInspectLoadFixtures(t *testing.T) {
	for _, c := range []struct{ name, act, loss string }{{"mlp3_tanh_ce", "tanh", "ce"}, {"mlp2_gelu_mse", "gelu", "mse"}} {
		var want struct {
			R         map[string]float64 `json:"R"`
			Rho       float64            `json:"rho"`
			Frobenius float64            `json:"frobenius"`
			LambdaMax float64            `json:"lambda_max"`
		}
		raw, err := os.ReadFile(fixture(c.name + ".stats.json"))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(raw, &want); err != nil {
			t.Fatal(err)
		}
		for _, args := range [][]string{
			{"-load", fixture(c.name + ".safetensors")},
			{"-load", fixture(c.name + ".npz"), "-activation", c.act, "-loss", c.loss},
		} {
			t.Run(strings.Join(args, " "), func(t *testing.T) {
				dir := filepath.Join(t.TempDir(), "npy")
				code, stdout, stderr := runCmd(t, append([]string{"inspect", "-json", "-npy", dir}, args...)...)
				if code != 0 {
					t.Fatalf("exit %d: %s", code, stderr)
				}
				var res inspect.Result
				if err := json.Unmarshal([]byte(stdout), &res); err != nil {
					t.Fatal(err)
				}
				near := func(what string, got, want float64) {
					if math.Abs(got-want) > 1e-10*math.Abs(want) && math.Abs(got-want) > 1e-14 {
						t.Errorf("%s = %v, torch %v", what, got, want)
					}
				}
				near("ρ", res.Rho, want.Rho)
				near("‖H‖_F", res.Frobenius, want.Frobenius)
				near("λmax", res.LambdaMax, want.LambdaMax)
				if len(res.Ratios) != len(want.R) {
					t.Errorf("%d families, torch %d", len(res.Ratios), len(want.R))
				}
				for _, r := range res.Ratios {
					near("R "+string(r.Family), r.R, want.R[string(r.Family)])
				}
				got, ref := readNPYMatrix(t, filepath.Join(dir, "hessian.npy")), readNPYMatrix(t, fixture(c.name+".hessian.npy"))
				var diff mat.Dense
				diff.Sub(got, ref)
				if e := mat.Norm(&diff, math.Inf(1)) / mat.Norm(ref, math.Inf(1)); e > 1e-10 {
					t.Errorf("hessian.npy differs from torch's by %.1e relative", e)
				}
			})
		}
	}
}

func readNPYMatrix(t *testing.T, path string) *mat.Dense {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var m mat.Dense
	if err := npyio.Read(f, &m); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return &m
}

// TestInspectLoadDataFromFlags: a file without X and y is measured on
// Gaussian data of its d and C drawn with -N and -seed.
func TestInspectLoadDataFromFlags(t *testing.T) {
	path := writeModel(t, t.TempDir(), "m.safetensors", loadtest.Safetensors(loadNet(0), map[string]string{"activation": "relu", "loss": "ce"}))
	var first inspect.Result
	for i, seed := range []string{"3", "3", "4"} {
		code, stdout, stderr := runCmd(t, "inspect", "-json", "-load", path, "-N", "11", "-seed", seed)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		var res inspect.Result
		if err := json.Unmarshal([]byte(stdout), &res); err != nil {
			t.Fatal(err)
		}
		if res.Config.N != 11 || res.Config.D != 4 || res.Config.C != 3 || res.Config.NumLayers() != 3 {
			t.Fatalf("config %v, want N = 11 and the file's d = 4, C = 3, L = 3", res.Config)
		}
		if want := "(weights; Gaussian X and labels drawn with -N 11 -seed " + seed + ")"; !strings.HasSuffix(res.Source, want) {
			t.Errorf("source %q, want it to end in %q", res.Source, want)
		}
		switch i {
		case 0:
			first = res
		case 1:
			if res.Rho != first.Rho {
				t.Errorf("same seed, ρ %v then %v", first.Rho, res.Rho)
			}
		case 2:
			if res.Rho == first.Rho {
				t.Errorf("seeds 3 and 4 give the same ρ %v: the data did not change", res.Rho)
			}
		}
	}
}

// TestInspectLoadErrors: every bad input is refused with its exit status
// (2 for flags, 1 for files and budgets) and a message naming the problem,
// and nothing is written.
func TestInspectLoadErrors(t *testing.T) {
	dir := t.TempDir()
	good := writeModel(t, dir, "good.npz", loadtest.NPZ(loadNet(6)))
	meta := writeModel(t, dir, "meta.safetensors", loadtest.Safetensors(loadNet(6), map[string]string{"activation": "tanh", "loss": "ce"}))
	noLoss := writeModel(t, dir, "noloss.safetensors", loadtest.Safetensors(loadNet(6), map[string]string{"activation": "tanh"}))
	noData := writeModel(t, dir, "nodata.safetensors", loadtest.Safetensors(loadNet(0), map[string]string{"activation": "tanh", "loss": "ce"}))
	corrupt := writeModel(t, dir, "corrupt.npz", loadtest.NPZ(loadNet(6))[:200])
	badLabels := loadNet(6)
	badLabels[len(badLabels)-1].Ints = []int{0, 1, 2, 3, 0, 1}
	labels := writeModel(t, dir, "labels.npz", loadtest.NPZ(badLabels))
	badShape := loadNet(6)
	badShape[2] = loadtest.Array{Name: "W2", Shape: []int{3, 2}, Floats: make([]float64, 6)}
	shapes := writeModel(t, dir, "shapes.npz", loadtest.NPZ(badShape))
	for _, c := range []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"missing file", []string{"-load", filepath.Join(dir, "absent.npz"), "-activation", "tanh", "-loss", "ce"}, 1, "no such file"},
		{"corrupt file", []string{"-load", corrupt, "-activation", "tanh", "-loss", "ce"}, 1, "corrupt.npz"},
		{"labels ≥ C", []string{"-load", labels, "-activation", "tanh", "-loss", "ce"}, 1, "y[3] = 3 is not a class label 0…2"},
		{"mismatched shapes", []string{"-load", shapes, "-activation", "tanh", "-loss", "ce"}, 1, "W2 must have 3 columns"},
		{"-C with -load", []string{"-load", good, "-activation", "tanh", "-loss", "ce", "-C", "4"}, 2, "-C cannot be used with -load"},
		{"-model -depth -bias with -load", []string{"-load", good, "-model", "mlp", "-depth", "3", "-bias"}, 2, "-model, -depth, -bias cannot be used with -load"},
		{"-N with the file's data", []string{"-load", good, "-activation", "tanh", "-loss", "ce", "-N", "9"}, 2, "the file has X and y"},
		{"activation missing", []string{"-load", good, "-loss", "ce"}, 2, "-activation"},
		{"activation contradicts metadata", []string{"-load", meta, "-activation", "relu"}, 2, `-activation relu contradicts the file's metadata activation "tanh"`},
		{"loss missing", []string{"-load", noLoss}, 2, "-loss"},
		{"file over the budget", []string{"-load", good, "-activation", "tanh", "-loss", "ce", "-max-memory", "100"}, 1, "over the memory budget"},
		{"measurement over the budget", []string{"-load", noData, "-N", "100000", "-max-memory", "1MiB"}, 1, "measuring the loaded"},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "npy")
			code, stdout, stderr := runCmd(t, append([]string{"inspect", "-npy", out}, c.args...)...)
			if code != c.code || !strings.Contains(stderr, c.msg) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, stderr, c.code, c.msg)
			}
			if testing.Verbose() {
				t.Log(stderr)
			}
			if stdout != "" {
				t.Errorf("stdout %q on error", stdout)
			}
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Errorf("-npy %s exists after the error (%v)", out, err)
			}
		})
	}
}

// TestTrainLoad: train -load starts from the file's weights (step 0 has
// the statistics torch recorded for the fixture), trains them (gd lowers
// the loss), records -load in the spec, and its reproduce command line
// parses back to the same spec.
func TestTrainLoad(t *testing.T) {
	path := fixture("mlp3_tanh_ce.safetensors")
	res := trainJSON(t, "-load", path, "-opt", "gd", "-lr", "0.1", "-steps", "10", "-checkpoints", "0,10")
	if res.Spec.Load != path || res.Spec.Data != experiment.FromFile || res.Spec.N != 20 || res.Config.NumLayers() != 3 {
		t.Fatalf("spec %+v", res.Spec)
	}
	var want struct {
		Rho float64 `json:"rho"`
	}
	raw, err := os.ReadFile(fixture("mlp3_tanh_ce.stats.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	ck := res.Checkpoints
	if got := ck[0].Stats.Summary.Rho; math.Abs(got-want.Rho) > 1e-10*want.Rho {
		t.Errorf("step 0: ρ = %v, torch %v: training did not start from the file's weights", got, want.Rho)
	}
	if ck[1].Loss >= ck[0].Loss {
		t.Errorf("loss %v → %v: gd did not lower it", ck[0].Loss, ck[1].Loss)
	}
	// The JSON's stats options do not decode back (their field names are
	// for reading); the parsed flags are the spec.
	spec, _, _, err := parseTrainFlags([]string{"-load", path, "-opt", "gd", "-lr", "0.1", "-steps", "10", "-checkpoints", "0,10"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	line := spec.CommandLine()
	if !strings.Contains(line, "-load "+path) {
		t.Errorf("reproduce line %q lacks -load", line)
	}
	again, _, _, err := parseTrainFlags(strings.Fields(line)[2:], io.Discard)
	if err != nil {
		t.Fatalf("%q: %v", line, err)
	}
	if !reflect.DeepEqual(again, spec) {
		t.Errorf("%q parses to\n%+v\nwant\n%+v", line, again, spec)
	}
}

// TestTrainLoadDataFromFlags: a file without X and y trains on -data of the
// file's d and C.
func TestTrainLoadDataFromFlags(t *testing.T) {
	path := writeModel(t, t.TempDir(), "m.safetensors", loadtest.Safetensors(loadNet(0), map[string]string{"activation": "relu", "loss": "ce"}))
	res := trainJSON(t, "-load", path, "-data", "clustered", "-N", "40", "-steps", "3", "-opt", "gd")
	if res.Spec.Data != experiment.Clustered || res.Config.N != 40 || res.Config.D != 4 || res.Config.C != 3 {
		t.Errorf("config %v on %s, want clustered data, N = 40, the file's d = 4 and C = 3", res.Config, res.Spec.Data)
	}
	if line := res.Spec.CommandLine(); !strings.Contains(line, "-load "+path+" -activation relu -loss ce -data clustered -N 40") {
		t.Errorf("reproduce line %q", line)
	}
}

func TestTrainAndSweepLoadErrors(t *testing.T) {
	dir := t.TempDir()
	good := writeModel(t, dir, "good.npz", loadtest.NPZ(loadNet(6)))
	noData := writeModel(t, dir, "nodata.safetensors", loadtest.Safetensors(loadNet(0), map[string]string{"activation": "tanh", "loss": "ce"}))
	for _, c := range []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"missing file", []string{"train", "-load", filepath.Join(dir, "absent.npz")}, 1, "no such file"},
		{"-m with -load", []string{"train", "-load", good, "-activation", "tanh", "-loss", "ce", "-m", "8"}, 2, "-m cannot be used with -load"},
		{"-data with the file's data", []string{"train", "-load", good, "-activation", "tanh", "-loss", "ce", "-data", "gaussian"}, 2, "-data does not apply"},
		{"mnist for C = 3", []string{"train", "-load", noData}, 2, "does not fit -data mnist"},
		{"activation missing", []string{"train", "-load", good, "-loss", "ce"}, 2, "-activation"},
		{"over the budget", []string{"train", "-load", noData, "-data", "gaussian", "-N", "100000", "-max-memory", "1MiB"}, 1, "over the memory budget"},
		{"sweep", []string{"sweep", "-load", good}, 2, "inspect -load"},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			code, _, stderr := runCmd(t, append(c.args, "-o", out)...)
			if code != c.code || !strings.Contains(stderr, c.msg) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, stderr, c.code, c.msg)
			}
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Errorf("%s exists after the error (%v)", out, err)
			}
		})
	}
}

// lmHead returns the arrays of a one-layer network with a bias (an LM
// head: W C×d, b, X N×d, y), seeded.
func lmHead(c, d, n int, seed uint64) []loadtest.Array {
	rnd := rand.New(rand.NewPCG(seed, 7))
	w := mat.NewDense(c, d, nil)
	for i := range w.RawMatrix().Data {
		w.RawMatrix().Data[i] = rnd.NormFloat64() / math.Sqrt(float64(d))
	}
	b := make([]float64, c)
	for i := range b {
		b[i] = rnd.NormFloat64() / 4
	}
	x := mat.NewDense(n, d, nil)
	for i := range x.RawMatrix().Data {
		x.RawMatrix().Data[i] = rnd.NormFloat64()
	}
	y := make([]int, n)
	for i := range y {
		y[i] = rnd.IntN(c)
	}
	return loadtest.Arrays([]*mat.Dense{w}, [][]float64{b}, x, y)
}

func inspectJSON(t *testing.T, args ...string) inspect.Result {
	t.Helper()
	code, stdout, stderr := runCmd(t, append([]string{"inspect", "-json"}, args...)...)
	if code != 0 {
		t.Fatalf("inspect %v: exit %d\n%s", args, code, stderr)
	}
	var res inspect.Result
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatal(err)
	}
	return res
}

// TestInspectLoadLMHead: an LM head read from safetensors goes through the
// structured path when H is too large (C = 20000, d = 32, N = 64: P = 660000,
// a dense H of 3.5 TB), and on a small head the structured statistics equal
// the dense ones: R, ρ, ‖H‖_F to 1e−10 relative, λmax (Lanczos, relative
// residual 1e−8) to 1e−6.
func TestInspectLoadLMHead(t *testing.T) {
	dir := t.TempDir()
	meta := map[string]string{"activation": "identity", "loss": "ce"}
	big := writeModel(t, dir, "big.safetensors", loadtest.Safetensors(lmHead(20000, 32, 64, 1), meta))
	res := inspectJSON(t, "-load", big)
	if res.Method != "structured" || res.Params != 20000*33 {
		t.Fatalf("method %s, P = %d; want structured, P = 660000", res.Method, res.Params)
	}
	if res.RhoUndefined != "" || !(res.Rho > 0 && res.Rho < 1) || len(res.Ratios) != 1 || !(res.Ratios[0].R > 0) || !(res.LambdaMax > 0) {
		t.Errorf("statistics %+v: want 0 < ρ < 1, R > 0, λmax > 0", res)
	}

	small := writeModel(t, dir, "small.safetensors", loadtest.Safetensors(lmHead(40, 6, 30, 2), meta))
	dense := inspectJSON(t, "-load", small)
	st := inspectJSON(t, "-load", small, "-max-dense-bytes", "1")
	if dense.Method != "dense" || st.Method != "structured" {
		t.Fatalf("methods %s and %s, want dense and structured", dense.Method, st.Method)
	}
	near := func(what string, got, want, tol float64) {
		if math.Abs(got-want) > tol*math.Abs(want) {
			t.Errorf("%s: structured %v, dense %v", what, got, want)
		}
	}
	near("ρ", st.Rho, dense.Rho, 1e-10)
	near("‖H‖_F", st.Frobenius, dense.Frobenius, 1e-10)
	near("R", st.Ratios[0].R, dense.Ratios[0].R, 1e-10)
	near("λmax", st.LambdaMax, dense.LambdaMax, 1e-6)
}
