package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/hessblock/hessblock/internal/atomicfile"
	"github.com/hessblock/hessblock/internal/experiment"
	"github.com/hessblock/hessblock/kind"
	"github.com/hessblock/hessblock/numerics"
	"github.com/hessblock/hessblock/train"
)

func init() {
	register(&command{
		name:    "train",
		summary: "train on gaussian, clustered, mnist or gotext data and track R and ρ over the steps",
		run:     runTrain,
	})
}

func parseTrainFlags(args []string, stderr io.Writer) (spec experiment.Spec, asJSON bool, out string, err error) {
	fs := newFlagSet("train", "train -data gaussian|clustered|mnist|gotext [flags]", stderr)
	def := numerics.DefaultConfig(kind.MLP)
	// Flag defaults are those of experiment.Defaults, whose sizes depend
	// on the data set (0 here: take the data set's).
	base, _ := experiment.Defaults(experiment.MNIST)
	def.M, def.Sigma = base.Model.M, 1
	def.C, def.D, def.N, def.Seed = 0, 0, 0, base.Seed
	cf := addConfigFlags(fs, def, "seed of the data, initialization, minibatches and block sample", sizeDocs{
		"model": "model: linear or mlp (default: mlp; linear for gotext)",
		"C":     "classes (default: 10; 1000 for gotext; MNIST has 10)",
		"d":     "input dimension (default 40; mnist: random projection to 64, 0 = the raw 784 pixels; gotext: embedding dimension 32)",
		"N":     "samples (default 1000; mnist and gotext 2000)",
	})
	var (
		data     = fs.String("data", experiment.MNIST, "data set: gaussian, clustered, mnist or gotext")
		radius   = fs.Float64("radius", 2, "clustered: radius of the class means")
		spread   = fs.Float64("spread", 1, "clustered: standard deviation around each mean")
		optName  = fs.String("opt", base.Optimizer, "optimizer: gd, sgd or adam")
		lr       = fs.Float64("lr", 0, "learning rate (default 0.01; gotext 0.05)")
		batch    = fs.Int("batch", 0, "minibatch size for sgd and adam, 0 = default (128; gotext 256)")
		steps    = fs.Int("steps", base.Steps, "training steps")
		ckpts    = fs.String("checkpoints", "", "comma-separated steps to record (default: 0 and 6 log-spaced steps up to -steps; 3 for gotext)")
		method   = fs.String("stats", string(base.Stats.Method), "Hessian statistics: auto (dense up to -max-dense-params, else structured), dense, structured (exact, O(N²C)) or sampled")
		maxDense = fs.Int("max-dense-params", base.Stats.MaxDenseParams, "auto: form H only up to this many parameters")
		pairs    = fs.Int("pairs", base.Stats.PairSamples, "sampled: off-diagonal pairs per family")
		diags    = fs.Int("diag", base.Stats.DiagSamples, "sampled: diagonal blocks per kind")
		eig      = fs.Int("eig", base.Stats.TopEigenvalues, "largest eigenvalues of H to compute by Lanczos (0: none)")
		lanczos  = fs.Int("lanczos", base.Stats.LanczosSteps, "Lanczos steps")
		jsonFlag = fs.Bool("json", false, "print JSON instead of a table")
		outFile  = fs.String("o", "", "also write the JSON result to `FILE` (atomically)")
		load     = fs.String("load", "", loadDoc+"; training starts from the file's weights, on its X and y or, for a file without them, on -data")
	)
	addMemoryFlag(fs)
	if err := parseFlags(fs, args); err != nil {
		return spec, false, "", err
	}
	set := given(fs)
	bad := func(format string, a ...any) error {
		return usagef(format+"\n(run 'hessblock train -h' for the flags and their defaults)", a...)
	}
	if *load != "" {
		if spec, err = loadTrainSpec(fs, cf, *load, strings.ToLower(*data)); err != nil {
			return spec, false, "", err
		}
	} else if spec, err = experiment.Defaults(strings.ToLower(*data)); err != nil {
		return spec, false, "", bad("-data: %v", err)
	}
	if *load == "" {
		if err := trainModelFlags(&spec, cf); err != nil {
			return spec, false, "", bad("%v", err)
		}
	}
	if spec.Data == experiment.Clustered {
		spec.Radius, spec.Spread = *radius, *spread
	} else if set["radius"] || set["spread"] {
		return spec, false, "", bad("-radius and -spread are for -data clustered")
	}
	spec.Seed = *cf.seed
	spec.Optimizer = strings.ToLower(*optName)
	if set["lr"] {
		spec.LR = *lr
	}
	if set["batch"] && *batch != 0 { // 0 asks for the data set's default, as -h says
		spec.Batch = *batch
	} else {
		spec.Batch = min(spec.Batch, spec.N)
	}
	if spec.Optimizer == "gd" {
		spec.Batch = 0
	}
	spec.Steps = *steps
	spec.Checkpoints = experiment.LogCheckpoints(spec.Steps, experiment.CheckpointDensity(spec.Data))
	if *ckpts != "" {
		spec.Checkpoints = nil
		for _, f := range strings.Split(*ckpts, ",") {
			v, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil {
				return spec, false, "", bad("-checkpoints: %q is not a step", f)
			}
			spec.Checkpoints = append(spec.Checkpoints, v)
		}
	}
	if spec.Stats.Method, err = numerics.ParseStatsMethod(*method); err != nil {
		return spec, false, "", bad("-stats: %v", err)
	}
	spec.Stats.MaxDenseParams, spec.Stats.PairSamples, spec.Stats.DiagSamples = *maxDense, *pairs, *diags
	spec.Stats.TopEigenvalues, spec.Stats.LanczosSteps = *eig, *lanczos
	spec.Stats.Seed = spec.Seed
	if err := spec.Validate(); err != nil {
		return spec, false, "", bad("%v", err)
	}
	// The model's sizes come from the data; record them (not the defaults
	// of numerics.DefaultConfig) so the printed spec does not contradict
	// itself. D = 0 (MNIST's raw pixels) stays 0 here, as in spec.D.
	spec.Model.C, spec.Model.D, spec.Model.N, spec.Model.Seed = spec.C, spec.D, spec.N, spec.Seed
	return spec, *jsonFlag, *outFile, nil
}

// trainModelFlags applies -model, the model's flags, -C, -d and -N to a
// spec without -load.
func trainModelFlags(spec *experiment.Spec, cf *configFlags) error {
	set := given(cf.fs)
	if set["model"] {
		mod, err := cf.modelOr(spec.Model.Model)
		if err != nil {
			return err
		}
		spec.Model = numerics.DefaultConfig(mod)
	}
	if err := cf.apply(&spec.Model); err != nil {
		return err
	}
	if set["C"] {
		spec.C = *cf.c
	}
	if set["d"] {
		spec.D = *cf.d
	}
	if set["N"] {
		spec.N = *cf.n
	}
	return nil
}

func runTrain(args []string, stdout, stderr io.Writer) error {
	spec, asJSON, out, err := parseTrainFlags(args, stderr)
	if err != nil {
		return err
	}
	if out != "" {
		if err := atomicfile.CheckFile(out); err != nil {
			return err
		}
	}
	var res *experiment.Result
	progress := func(train.Checkpoint) {}
	if !asJSON {
		// Rows are printed as checkpoints arrive, so columns have fixed
		// widths (a tabwriter would wait for the whole table).
		var widths []int
		progress = func(c train.Checkpoint) {
			if widths == nil {
				head := checkpointHeader(c)
				for _, h := range head {
					widths = append(widths, max(len(h), 9))
				}
				fmt.Fprintln(stdout, padRow(head, widths))
			}
			fmt.Fprintln(stdout, padRow(checkpointRow(c), widths))
		}
		what, on := string(spec.Model.Model), spec.Data
		if spec.Load != "" {
			what = "the network of " + spec.Load
			if spec.Data == experiment.FromFile {
				on = "its data"
			}
		}
		fmt.Fprintf(stdout, "training %s on %s: N=%d d=%d C=%d, %s lr=%g batch=%d, %d steps, seed %d\n",
			what, on, spec.N, spec.D, spec.C, spec.Optimizer, spec.LR, spec.Batch, spec.Steps, spec.Seed)
	}
	res, err = experiment.Run(spec, progress)
	if err != nil {
		if errors.Is(err, numerics.ErrInvalidConfig) {
			return usageError{err}
		}
		var div *train.DivergedError
		if errors.As(err, &div) {
			return fmt.Errorf("%w (-lr, now %g)", err, spec.LR)
		}
		return err
	}
	js, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return err
	}
	js = append(js, '\n')
	if out != "" {
		if err := atomicfile.WriteFile(out, js); err != nil {
			return err
		}
	}
	if asJSON {
		_, err := stdout.Write(js)
		return err
	}
	fmt.Fprintf(stdout, "\n%s, P = %d, %.1f s\n%s\nreproduce: %s\n", res.DataName, res.Params, res.Seconds, closingNote(res), spec.CommandLine())
	return nil
}

// checkpointHeader and checkpointRow format one checkpoint as a table row;
// a sampled estimate carries its standard error.
func checkpointHeader(c train.Checkpoint) []string {
	cols := []string{"step", "loss", "acc", "|grad|"}
	if c.Stats != nil {
		cols = append(cols, "rho")
		for _, r := range c.Stats.Summary.Ratios {
			cols = append(cols, "R "+string(r.Family))
		}
		cols = append(cols, "lambda_max", "stats")
	}
	return cols
}

func checkpointRow(c train.Checkpoint) []string {
	cols := []string{strconv.Itoa(c.Step), fmt.Sprintf("%.4f", c.Loss), fmt.Sprintf("%.3f", c.Accuracy), fmt.Sprintf("%.3g", c.GradNorm)}
	if st := c.Stats; st != nil {
		// An undefined statistic is "undefined" here; the closing note
		// says why.
		cols = append(cols, statErr(st.Summary.Rho, st.Summary.RhoUndefined, st.RhoStdErr, false))
		for i, r := range st.Summary.Ratios {
			cols = append(cols, statErr(r.R, r.Undefined, st.RatioStdErr[i], false))
		}
		lm := "-"
		if len(st.TopEigenvalues) > 0 {
			lm = fmt.Sprintf("%.4g", st.LambdaMax)
		}
		cols = append(cols, lm, string(st.Method))
	}
	return cols
}

// padRow right-aligns cells to the given widths, two spaces apart.
func padRow(cells []string, widths []int) string {
	var sb strings.Builder
	for i, c := range cells {
		w := 9
		if i < len(widths) {
			w = widths[i]
		}
		fmt.Fprintf(&sb, "%s%*s", "  ", w, c)
	}
	return sb.String()
}

func withErr(v, se float64) string {
	if se == 0 {
		return fmt.Sprintf("%.4g", v)
	}
	return fmt.Sprintf("%.4g±%.2g", v, se)
}

// statErr is withErr for a statistic that may be undefined (0/0): then
// "undefined", with the reason when long is set.
func statErr(v float64, undefined string, se float64, long bool) string {
	if undefined == "" {
		return withErr(v, se)
	}
	if !long {
		return "undefined"
	}
	return stat(v, undefined, nil)
}

// closingNote states ρ and R at initialization and after training.
func closingNote(res *experiment.Result) string {
	ck := res.Checkpoints
	if len(ck) == 0 || ck[0].Stats == nil {
		return ""
	}
	a, b := ck[0], ck[len(ck)-1]
	var sb strings.Builder
	fmt.Fprintf(&sb, "step %d → %d: loss %.4f → %.4f, accuracy %.3f → %.3f; ρ %s → %s",
		a.Step, b.Step, a.Loss, b.Loss, a.Accuracy, b.Accuracy,
		statErr(a.Stats.Summary.Rho, a.Stats.Summary.RhoUndefined, a.Stats.RhoStdErr, true),
		statErr(b.Stats.Summary.Rho, b.Stats.Summary.RhoUndefined, b.Stats.RhoStdErr, true))
	for i, r := range a.Stats.Summary.Ratios {
		rb := b.Stats.Summary.Ratios[i]
		fmt.Fprintf(&sb, "; R %s %s → %s", r.Family, statErr(r.R, r.Undefined, a.Stats.RatioStdErr[i], true),
			statErr(rb.R, rb.Undefined, b.Stats.RatioStdErr[i], true))
	}
	if a.Stats.Method == numerics.StatsSampled {
		sb.WriteString(" (sampled blocks: ± one standard error)")
	}
	return sb.String()
}
