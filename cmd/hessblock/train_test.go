package main

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/hessblock/hessblock/internal/experiment"
	"github.com/hessblock/hessblock/kind"
	"github.com/hessblock/hessblock/numerics"
	"github.com/hessblock/hessblock/train"
)

func trainJSON(t *testing.T, args ...string) experiment.Result {
	t.Helper()
	code, out, errOut := runCmd(t, append([]string{"train", "-json"}, args...)...)
	if code != 0 {
		t.Fatalf("train %v: exit %d\n%s", args, code, errOut)
	}
	var res experiment.Result
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("train %v: bad JSON: %v", args, err)
	}
	return res
}

// Training lowers the loss on every data set, end to end through the
// command, and records exact statistics at both checkpoints. The 10%
// margin is inside what these runs reach (17–61% decreases).
func TestTrainLowersLossOnEachDataSet(t *testing.T) {
	for _, args := range [][]string{
		{"-data", "gaussian", "-N", "200", "-d", "10", "-C", "5", "-m", "8"},
		{"-data", "clustered", "-N", "200", "-d", "10", "-C", "5", "-m", "8"},
		{"-data", "mnist", "-N", "300", "-d", "16", "-m", "8"},
		{"-data", "gotext", "-N", "300", "-d", "8", "-C", "50"},
	} {
		args = append(args, "-steps", "60", "-checkpoints", "0,60", "-batch", "32", "-lanczos", "15")
		res := trainJSON(t, args...)
		ck := res.Checkpoints
		if len(ck) != 2 || ck[0].Stats == nil || ck[1].Stats == nil {
			t.Fatalf("%v: %d checkpoints, stats %v", args, len(ck), ck)
		}
		if !(ck[1].Loss < 0.9*ck[0].Loss) {
			t.Errorf("%s: loss %.4f → %.4f, want a 10%% decrease", res.DataName, ck[0].Loss, ck[1].Loss)
		}
		for _, c := range ck {
			if m := c.Stats.Method; m != numerics.StatsDense && m != numerics.StatsStructured {
				t.Errorf("%s: method %q, want an exact one", res.DataName, m)
			}
			if !(c.Stats.Summary.Rho >= 0 && c.Stats.Summary.Rho <= 1) || !(c.Stats.LambdaMax > 0) {
				t.Errorf("%s step %d: ρ = %v, λmax = %v", res.DataName, c.Step, c.Stats.Summary.Rho, c.Stats.LambdaMax)
			}
		}
		t.Logf("%s: loss %.4f → %.4f, ρ %.4g → %.4g", res.DataName, ck[0].Loss, ck[1].Loss, ck[0].Stats.Summary.Rho, ck[1].Stats.Summary.Rho)
	}
}

// The same command line gives the same numbers.
func TestTrainReproducibleFromSeed(t *testing.T) {
	args := []string{"-data", "gotext", "-N", "200", "-d", "8", "-C", "30", "-steps", "20", "-checkpoints", "0,10,20", "-batch", "16", "-lanczos", "10"}
	a, b := trainJSON(t, args...), trainJSON(t, args...)
	a.Seconds, b.Seconds = 0, 0
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if string(ja) != string(jb) {
		t.Error("two runs of the same command line differ")
	}
	c := trainJSON(t, append(args, "-seed", "2")...)
	if c.Checkpoints[2].Loss == a.Checkpoints[2].Loss {
		t.Error("a different seed gave the same final loss")
	}
}

// A model trained on real data (MNIST) still has a Hessian that matches
// finite differences of its gradient to 1e-6.
func TestTrainedMNISTHessianFiniteDifferences(t *testing.T) {
	s, _ := experiment.Defaults(experiment.MNIST)
	s.N, s.D, s.Steps, s.Batch, s.Checkpoints = 40, 6, 40, 10, []int{0, 40}
	s.Model.Activation, s.Model.M = kind.Tanh, 4
	s.Stats.TopEigenvalues = 0
	res, err := experiment.Run(s, nil)
	if err != nil {
		t.Fatal(err)
	}
	set, err := experiment.LoadData(s)
	if err != nil {
		t.Fatal(err)
	}
	cfg := res.Config
	p, err := numerics.NewProblemWithData(cfg, set.X, set.Labels)
	if err != nil {
		t.Fatal(err)
	}
	// Replay training to recover the trained parameters.
	opt, _ := train.ParseOptimizer(s.Optimizer, s.LR, s.Batch)
	ck, err := train.Run(p, train.Options{Optimizer: opt, Steps: s.Steps, Seed: s.Seed})
	if err != nil {
		t.Fatal(err)
	}
	if ck[1].Loss != res.Checkpoints[1].Loss {
		t.Fatalf("replay reached loss %v, the run %v", ck[1].Loss, res.Checkpoints[1].Loss)
	}
	h, err := numerics.CheckHessian(p, 0)
	if err != nil {
		t.Fatal(err)
	}
	if h > 1e-6 {
		t.Errorf("trained MNIST Hessian: relative error %.2e against finite differences", h)
	}
}

func TestTrainUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-data", "cifar"}, "unknown data set"},
		{[]string{"-data", "mnist", "-C", "5"}, "10 classes"},
		{[]string{"-steps", "-1"}, "-steps"},
		{[]string{"-lr", "0"}, "learning rate"},
		{[]string{"-opt", "lbfgs"}, "unknown optimizer"},
		{[]string{"-steps", "10", "-checkpoints", "0,11"}, "-checkpoints"},
		{[]string{"-data", "gotext", "-m", "4"}, "MLP"},
		{[]string{"-data", "gaussian", "-radius", "3"}, "clustered"},
		{[]string{"-stats", "exact"}, "-stats"},
		{[]string{"-N", "100", "-batch", "200"}, "exceeds"},
		{[]string{"-bogus"}, "bogus"},
	} {
		code, _, errOut := runCmd(t, append([]string{"train"}, tc.args...)...)
		if code != 2 || !strings.Contains(errOut, tc.want) {
			t.Errorf("train %v: exit %d, stderr %q; want 2 and %q", tc.args, code, errOut, tc.want)
		}
	}
}

// The table output ends with the closing note of ρ and R at init and
// after training.
func TestTrainTableOutput(t *testing.T) {
	code, out, errOut := runCmd(t, "train", "-data", "gaussian", "-N", "100", "-d", "6", "-C", "4", "-m", "4", "-steps", "5", "-lanczos", "10")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"R hidden-hidden", "step 0 → 5", "ρ", "dense"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// reproduce -dynamic runs the section end to end and writes its figures and
// tables beside the report that links them.
func TestDynamicSectionQuick(t *testing.T) {
	if testing.Short() {
		t.Skip("trains six small models")
	}
	dir := t.TempDir()
	code, _, stderr := runCmd(t, "reproduce", "-quick", "-dynamic", "-quiet", "-o", dir)
	if code != 0 {
		t.Fatalf("exit status %d: %s", code, stderr)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	md := string(raw)
	for _, f := range []string{"figures/dynamic_mnist.png", "figures/dynamic_text.svg", "tables/dynamic_mnist.csv", "tables/dynamic_text.md"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s missing or empty: %v", f, err)
		}
		if !strings.Contains(md, strings.TrimSuffix(filepath.Base(f), filepath.Ext(f))) {
			t.Errorf("Markdown does not mention %s", f)
		}
	}
	if !strings.Contains(md, "## Dynamic") || !strings.Contains(md, "slope") {
		t.Errorf("Markdown lacks the heading or the summary:\n%s", md)
	}
	if strings.Contains(md, "NaN") || strings.Contains(md, "Inf") {
		t.Errorf("Markdown has a non-finite number:\n%s", md)
	}
}

// The command line a Spec prints (in the report's dynamic section) parses
// back to the same Spec: it really is the command that reproduces the run.
func TestSpecCommandLineRoundTrip(t *testing.T) {
	for _, d := range experiment.DataSets {
		want, _ := experiment.Defaults(d)
		want.Steps, want.Checkpoints = 40, []int{0, 10, 40}
		args := strings.Fields(want.CommandLine())[2:] // drop "hessblock train"
		got, _, _, err := parseTrainFlags(args, io.Discard)
		if err != nil {
			t.Fatalf("%s: %v (%q)", d, err, args)
		}
		want.Model.C, want.Model.D, want.Model.N, want.Model.Seed = want.C, want.D, want.N, want.Seed
		want.Stats.Seed = want.Seed
		if want.Optimizer == "gd" {
			want.Batch = 0
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %q parses to\n%+v\nwant\n%+v", d, want.CommandLine(), got, want)
		}
	}
}

// train -json and -o are byte-identical for the same flags (the wall time
// used to be in the JSON), and the recorded spec agrees with itself.
func TestTrainJSONByteIdentical(t *testing.T) {
	dir := t.TempDir()
	var outs [2]string
	for i := range outs {
		f := filepath.Join(dir, []string{"a.json", "b.json"}[i])
		code, stdout, stderr := runCmd(t, append(append([]string{}, tinyTrain...), "-json", "-o", f)...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		file, err := os.ReadFile(f)
		if err != nil || string(file) != stdout {
			t.Errorf("-o file differs from the printed JSON (err %v)", err)
		}
		outs[i] = stdout
	}
	if outs[0] != outs[1] {
		t.Error("two runs with the same flags printed different JSON")
	}
	if strings.Contains(outs[0], "seconds") {
		t.Error("the JSON holds the wall time, so it cannot be reproduced byte for byte")
	}
	var doc struct {
		Spec struct {
			N, D, C int
			Seed    uint64 `json:"seed"`
			Model   struct {
				C int `json:"C"`
				D int `json:"d"`
				N int `json:"N"`
			} `json:"model"`
			Stats map[string]any `json:"stats"`
		} `json:"spec"`
	}
	if err := json.Unmarshal([]byte(outs[0]), &doc); err != nil {
		t.Fatal(err)
	}
	s := doc.Spec
	if s.Model.C != 3 || s.Model.D != 5 || s.Model.N != 40 || s.C != 3 || s.D != 5 || s.N != 40 {
		t.Errorf("spec sizes C, d, N = %d, %d, %d; spec.model's = %d, %d, %d; want 3, 5, 40 in both",
			s.C, s.D, s.N, s.Model.C, s.Model.D, s.Model.N)
	}
	if _, ok := s.Stats["Method"]; ok {
		t.Errorf("stats options printed with Go field names: %v", s.Stats)
	}
	if s.Stats["seed"] != float64(1) || s.Stats["method"] != "auto" {
		t.Errorf("stats options %v, want method auto and the run's seed 1", s.Stats)
	}
}

// Bad values of train's data flags are usage errors (exit 2), found before
// anything is printed or trained.
func TestTrainFlagValues(t *testing.T) {
	checkUsage(t, func(args []string) []string { return append([]string{"train"}, args...) }, []usageCase{
		{[]string{"-data", "clustered", "-radius", "NaN"}, "-radius NaN"},
		{[]string{"-data", "clustered", "-spread", "-1"}, "-spread -1"},
		{[]string{"-data", "clustered", "-radius", "+Inf"}, "-radius +Inf"},
		{[]string{"-data", "gaussian", "-eig", "-1"}, "want ≥ 0"},
		{[]string{"-data", "gaussian", "-lanczos", "0"}, "want > 0"},
	})
	// -eig 0 is documented as "none" and must be accepted.
	args := append(append([]string{}, tinyTrain...), "-eig", "0")
	if code, _, stderr := runCmd(t, args...); code != 0 {
		t.Errorf("-eig 0: exit %d: %s", code, stderr)
	}
}

// -batch 0 means the data set's default minibatch, as -h says; it used to
// run SGD full-batch (issue 14, D14).
func TestTrainBatchZeroIsDefault(t *testing.T) {
	spec, _, _, err := parseTrainFlags([]string{"-data", "gaussian", "-opt", "sgd", "-batch", "0"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	def, _ := experiment.Defaults(experiment.Gaussian)
	if spec.Batch != def.Batch {
		t.Errorf("-batch 0: batch %d, want the default %d", spec.Batch, def.Batch)
	}
}

// D5: a valid tanh network with σ_w = 0 has R undefined at step 0 (the
// output blocks vanish); -json used to fail after the whole run with
// "json: unsupported value: +Inf" and write nothing. It is valid JSON
// with null and a reason, in -o too.
func TestTrainJSONUndefinedStatistics(t *testing.T) {
	f := filepath.Join(t.TempDir(), "r.json")
	args := []string{"train", "-data", "gaussian", "-model", "mlp", "-activation", "tanh", "-sigma-w", "0",
		"-C", "3", "-d", "4", "-N", "30", "-m", "3", "-steps", "2", "-checkpoints", "0,2", "-json", "-o", f}
	code, stdout, stderr := runCmd(t, args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	written, _ := os.ReadFile(f)
	for what, b := range map[string][]byte{"stdout": []byte(stdout), "-o": written} {
		var v any
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatalf("%s is not JSON: %v", what, err)
		}
		if !strings.Contains(string(b), `"R": null`) || !strings.Contains(string(b), `"R_undefined": "the family's diagonal blocks are 0"`) {
			t.Errorf("%s lacks the undefined R with its reason:\n%s", what, b)
		}
	}
	// The table says "undefined", never NaN or +Inf.
	code, stdout, stderr = runCmd(t, args[:len(args)-3]...)
	if code != 0 || !strings.Contains(stdout, "undefined (the family's diagonal blocks are 0)") ||
		strings.Contains(stdout, "NaN") || strings.Contains(stdout, "Inf") {
		t.Errorf("exit %d, table:\n%s%s", code, stdout, stderr)
	}
}

// D6: a diverging run stops at the first exploding loss with the step
// and the flag to change, exit 1, instead of printing 26 steps of +Inf
// and 300-digit losses; -o gets no file.
func TestTrainStopsAtDivergence(t *testing.T) {
	f := filepath.Join(t.TempDir(), "sub", "r.json")
	code, stdout, stderr := runCmd(t, "train", "-data", "gaussian", "-lr", "1e6", "-opt", "gd", "-steps", "50", "-N", "200", "-o", f)
	if code != 1 || !strings.Contains(stderr, "diverged at step 1") || !strings.Contains(stderr, "-lr, now 1e+06") {
		t.Errorf("exit %d, stderr %q; want 1 and the step and -lr", code, stderr)
	}
	if strings.Contains(stdout, "Inf") || strings.Contains(stdout, "NaN") || strings.Count(stdout, "\n") > 3 {
		t.Errorf("table went on after the divergence:\n%s", stdout)
	}
	if _, err := os.Stat(filepath.Dir(f)); err == nil {
		t.Error("the failed run left the -o directory")
	}
}
