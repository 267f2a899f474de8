package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/hessblock/hessblock/datasets"

	"github.com/hessblock/hessblock/internal/atomicfile"
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

// Data set names accepted by -data.
const (
	dataGaussian  = "gaussian"
	dataClustered = "clustered"
	dataMNIST     = "mnist"
	dataGoText    = "gotext"
)

// trainSpec fixes one training run completely: data, model, optimizer,
// checkpoints and statistics. The same spec gives the same numbers.
type trainSpec struct {
	Data string `json:"data"`
	// Data sizes; C is fixed to 10 for MNIST. D = 0 keeps MNIST's 784
	// pixels; otherwise MNIST is projected to D dimensions.
	N int `json:"N"`
	D int `json:"d"`
	C int `json:"C"`
	// Radius and Spread of the class-clustered Gaussian.
	Radius float64 `json:"radius,omitempty"`
	Spread float64 `json:"spread,omitempty"`
	// Model holds model, activation, loss, m and the initialization
	// scales; its C, D and N come from the data.
	Model numerics.Config `json:"model"`
	// Optimizer is "gd", "sgd" or "adam" with LR and Batch.
	Optimizer   string  `json:"optimizer"`
	LR          float64 `json:"lr"`
	Batch       int     `json:"batch"`
	Steps       int     `json:"steps"`
	Checkpoints []int   `json:"checkpoints"`
	// Seed drives the data draw, the initialization, the minibatches and
	// the block sample (each from its own stream).
	Seed  uint64       `json:"seed"`
	Stats statsOptions `json:"stats"`
}

// statsOptions is numerics.StatsOptions with the JSON field names of the
// rest of the output (numerics' type has none, so it would print Go names).
type statsOptions numerics.MeasureOptions

// MarshalJSON implements json.Marshaler.
func (o statsOptions) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Method         numerics.StatsMethod `json:"method"`
		MaxDenseParams int                  `json:"max_dense_params"`
		DiagSamples    int                  `json:"diag_samples"`
		PairSamples    int                  `json:"pair_samples"`
		TopEigenvalues int                  `json:"top_eigenvalues"`
		LanczosSteps   int                  `json:"lanczos_steps"`
		Seed           uint64               `json:"seed"`
	}{o.Method, o.MaxDenseParams, o.DiagSamples, o.PairSamples, o.TopEigenvalues, o.LanczosSteps, o.Seed})
}

// trainDefaults returns the default spec of a data set: sizes where
// `hessblock train -data X` runs in seconds with the dense statistics
// (gaussian, clustered, mnist) or the sampled ones (gotext, P = C·d).
func trainDefaults(data string) (trainSpec, error) {
	s := trainSpec{
		Data: data, Optimizer: "adam", LR: 0.01, Batch: 128, Steps: 300, Seed: 1,
		Stats: statsOptions{Method: numerics.StatsAuto, TopEigenvalues: 3, LanczosSteps: 30},
	}
	mlp := numerics.DefaultConfig(kind.MLP)
	mlp.M = 16
	lin := numerics.DefaultConfig(kind.Linear)
	switch data {
	case dataGaussian:
		s.N, s.D, s.C, s.Model = 1000, 40, 10, mlp
	case dataClustered:
		s.N, s.D, s.C, s.Model = 1000, 40, 10, mlp
		s.Radius, s.Spread = 2, 1
	case dataMNIST:
		s.N, s.D, s.C, s.Model = 2000, 64, 10, mlp
	case dataGoText:
		s.N, s.D, s.C, s.Model = 2000, 32, 1000, lin
		s.LR = 0.05
		s.Batch = 256
	default:
		return s, fmt.Errorf("unknown data set %q (want %s, %s, %s or %s)", data, dataGaussian, dataClustered, dataMNIST, dataGoText)
	}
	s.Checkpoints = logCheckpoints(s.Steps, checkpointDensity(data))
	return s, nil
}

// checkpointDensity is the number of log-spaced default checkpoints: fewer
// for gotext, whose exact statistics cost O(N²·C) each.
func checkpointDensity(data string) int {
	if data == dataGoText {
		return 3
	}
	return 6
}

// logCheckpoints returns 0 and about k log-spaced steps up to steps.
func logCheckpoints(steps, k int) []int {
	out := []int{0}
	if steps == 0 {
		return out
	}
	for i := 0; i <= k; i++ {
		s := int(math.Round(math.Pow(float64(steps), float64(i)/float64(k))))
		if s > out[len(out)-1] {
			out = append(out, s)
		}
	}
	if out[len(out)-1] != steps {
		out = append(out, steps)
	}
	return out
}

// loadTrainData builds the data set of a spec.
func loadTrainData(s trainSpec) (*datasets.Set, error) {
	switch s.Data {
	case dataGaussian:
		return datasets.Gaussian(s.N, s.D, s.C, s.Seed)
	case dataClustered:
		return datasets.ClusteredGaussian(s.N, s.D, s.C, s.Radius, s.Spread, s.Seed)
	case dataMNIST:
		if s.C != 10 {
			return nil, fmt.Errorf("MNIST has C = 10 classes, not %d", s.C)
		}
		return datasets.MNIST(datasets.MNISTOptions{N: s.N, D: s.D, Seed: s.Seed})
	case dataGoText:
		return datasets.GoText(datasets.GoTextOptions{C: s.C, D: s.D, N: s.N, Seed: s.Seed})
	}
	return nil, fmt.Errorf("unknown data set %q", s.Data)
}

// trainResult is what a run produces; it is the JSON output of train.
type trainResult struct {
	Spec        trainSpec          `json:"spec"`
	DataName    string             `json:"data_name"`
	Config      numerics.Config    `json:"config"`
	Params      int                `json:"params"`
	Checkpoints []train.Checkpoint `json:"checkpoints"`
	// Seconds is the wall time, shown in the table but kept out of the
	// JSON so that the same flags give byte-identical files.
	Seconds float64 `json:"-"`
}

// runTraining loads the data, builds the problem and trains it, calling
// progress after every checkpoint.
func runTraining(s trainSpec, progress func(train.Checkpoint)) (*trainResult, error) {
	start := time.Now()
	set, err := loadTrainData(s)
	if err != nil {
		return nil, err
	}
	cfg := s.Model
	cfg.C, cfg.N, cfg.D, cfg.Seed = set.C, 0, 0, s.Seed
	p, err := numerics.NewProblemWithData(cfg, set.X, set.Labels)
	if err != nil {
		return nil, err
	}
	opt, err := train.ParseOptimizer(s.Optimizer, s.LR, s.Batch)
	if err != nil {
		return nil, err
	}
	stats := numerics.MeasureOptions(s.Stats)
	stats.Seed = s.Seed
	ck, err := train.Run(p, train.Options{
		Optimizer: opt, Steps: s.Steps, Checkpoints: s.Checkpoints, Seed: s.Seed, Stats: &stats, Progress: progress,
	})
	if err != nil {
		return nil, err
	}
	return &trainResult{
		Spec: s, DataName: set.Name, Config: p.Config(), Params: p.NumParams(),
		Checkpoints: ck, Seconds: time.Since(start).Seconds(),
	}, nil
}

func parseTrainFlags(args []string, stderr io.Writer) (spec trainSpec, asJSON bool, out string, err error) {
	fs := newFlagSet("train", "train -data gaussian|clustered|mnist|gotext [flags]", stderr)
	var (
		data       = fs.String("data", dataMNIST, "data set: gaussian, clustered, mnist or gotext")
		model      = fs.String("model", "", "model: linear or mlp (default: mlp; linear for gotext)")
		activation = fs.String("activation", "relu", "MLP activation: identity, relu or tanh")
		loss       = fs.String("loss", "ce", "loss: ce or mse")
		c          = fs.Int("C", 0, "classes (default: 10; 1000 for gotext; MNIST has 10)")
		d          = fs.Int("d", 0, "input dimension (default 40; mnist: random projection to 64, 0 = the raw 784 pixels; gotext: embedding dimension 32)")
		n          = fs.Int("N", 0, "samples (default 1000; mnist and gotext 2000)")
		m          = fs.Int("m", 16, "MLP hidden width m")
		sigma      = fs.Float64("sigma", 1, "linear model: W_kj ~ N(0, σ²/d)")
		sigmaW     = fs.Float64("sigma-w", 1, "MLP: W_ij ~ N(0, σ_w²/d)")
		sigmaV     = fs.Float64("sigma-v", 1, "MLP: V_ki ~ N(0, σ_v²/m)")
		radius     = fs.Float64("radius", 2, "clustered: radius of the class means")
		spread     = fs.Float64("spread", 1, "clustered: standard deviation around each mean")
		optName    = fs.String("opt", "adam", "optimizer: gd, sgd or adam")
		lr         = fs.Float64("lr", 0, "learning rate (default 0.01; gotext 0.05)")
		batch      = fs.Int("batch", 0, "minibatch size for sgd and adam, 0 = default (128; gotext 256)")
		steps      = fs.Int("steps", 300, "training steps")
		ckpts      = fs.String("checkpoints", "", "comma-separated steps to record (default: 0 and 6 log-spaced steps up to -steps; 3 for gotext)")
		seed       = fs.Uint64("seed", 1, "seed of the data, initialization, minibatches and block sample")
		method     = fs.String("stats", "auto", "Hessian statistics: auto (dense up to -max-dense-params, else structured), dense, structured (exact, O(N²C)) or sampled")
		maxDense   = fs.Int("max-dense-params", 2000, "auto: form H only up to this many parameters")
		pairs      = fs.Int("pairs", 256, "sampled: off-diagonal pairs per family")
		diags      = fs.Int("diag", 64, "sampled: diagonal blocks per kind")
		eig        = fs.Int("eig", 3, "largest eigenvalues of H to compute by Lanczos (0: none)")
		lanczos    = fs.Int("lanczos", 30, "Lanczos steps")
		jsonFlag   = fs.Bool("json", false, "print JSON instead of a table")
		outFile    = fs.String("o", "", "also write the JSON result to `FILE` (atomically)")
	)
	if err := parseFlags(fs, args); err != nil {
		return spec, false, "", err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	bad := func(format string, a ...any) error {
		return usagef(format+"\n(run 'hessblock train -h' for the flags and their defaults)", a...)
	}
	spec, err = trainDefaults(strings.ToLower(*data))
	if err != nil {
		return spec, false, "", bad("-data: %v", err)
	}
	if set["model"] {
		mod, err := kind.ParseModel(*model)
		if err != nil {
			return spec, false, "", bad("-model: %v", err)
		}
		spec.Model = numerics.DefaultConfig(mod)
	}
	cfg := &spec.Model
	if cfg.Loss, err = kind.ParseLoss(*loss); err != nil {
		return spec, false, "", bad("-loss: %v", err)
	}
	if cfg.Model == kind.MLP {
		if cfg.Activation, err = kind.ParseActivation(*activation); err != nil {
			return spec, false, "", bad("-activation: %v", err)
		}
		cfg.M, cfg.SigmaW, cfg.SigmaV = *m, *sigmaW, *sigmaV
	} else {
		for _, f := range []string{"activation", "m", "sigma-w", "sigma-v"} {
			if set[f] {
				return spec, false, "", bad("-%s is for the MLP (use -model mlp)", f)
			}
		}
		cfg.Sigma = *sigma
	}
	if set["sigma"] && cfg.Model == kind.MLP {
		return spec, false, "", bad("-sigma is for the linear model (use -sigma-w and -sigma-v)")
	}
	if set["C"] {
		spec.C = *c
	}
	if set["d"] {
		spec.D = *d
	}
	if set["N"] {
		spec.N = *n
	}
	if spec.Data == dataClustered {
		spec.Radius, spec.Spread = *radius, *spread
		for _, f := range []struct {
			name string
			v    float64
		}{{"radius", spec.Radius}, {"spread", spec.Spread}} {
			if math.IsNaN(f.v) || math.IsInf(f.v, 0) || f.v < 0 {
				return spec, false, "", bad("-%s %g, want a finite value ≥ 0", f.name, f.v)
			}
		}
	} else if set["radius"] || set["spread"] {
		return spec, false, "", bad("-radius and -spread are for -data clustered")
	}
	if spec.Data == dataMNIST && spec.C != 10 {
		return spec, false, "", bad("-C %d: MNIST has 10 classes", spec.C)
	}
	if spec.N < 1 || spec.C < 2 || spec.D < 0 || (spec.D == 0 && spec.Data != dataMNIST) {
		return spec, false, "", bad("sizes N = %d, d = %d, C = %d: want N ≥ 1, d ≥ 1 (0 only for mnist: raw pixels), C ≥ 2", spec.N, spec.D, spec.C)
	}
	spec.Seed = *seed
	spec.Optimizer = strings.ToLower(*optName)
	if set["lr"] {
		spec.LR = *lr
	}
	if set["batch"] {
		spec.Batch = *batch
	} else {
		spec.Batch = min(spec.Batch, spec.N)
	}
	if spec.Optimizer == "gd" {
		spec.Batch = 0
	}
	if _, err := train.ParseOptimizer(spec.Optimizer, spec.LR, spec.Batch); err != nil {
		return spec, false, "", bad("%v", err)
	}
	if spec.Batch > spec.N {
		return spec, false, "", bad("-batch %d exceeds -N %d", spec.Batch, spec.N)
	}
	spec.Steps = *steps
	if spec.Steps < 0 {
		return spec, false, "", bad("-steps %d, want ≥ 0", spec.Steps)
	}
	spec.Checkpoints = logCheckpoints(spec.Steps, checkpointDensity(spec.Data))
	if *ckpts != "" {
		spec.Checkpoints = nil
		for _, f := range strings.Split(*ckpts, ",") {
			v, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || v < 0 || v > spec.Steps {
				return spec, false, "", bad("-checkpoints: %q is not a step in [0, %d]", f, spec.Steps)
			}
			spec.Checkpoints = append(spec.Checkpoints, v)
		}
	}
	if spec.Stats.Method, err = numerics.ParseStatsMethod(*method); err != nil {
		return spec, false, "", bad("-stats: %v", err)
	}
	for name, v := range map[string]int{"max-dense-params": *maxDense, "pairs": *pairs, "diag": *diags, "eig": *eig, "lanczos": *lanczos} {
		if name == "eig" && v < 0 {
			return spec, false, "", bad("-eig %d, want ≥ 0 (0: no eigenvalues)", v)
		}
		if v <= 0 && name != "eig" {
			return spec, false, "", bad("-%s %d, want > 0", name, v)
		}
	}
	spec.Stats.MaxDenseParams, spec.Stats.PairSamples, spec.Stats.DiagSamples = *maxDense, *pairs, *diags
	spec.Stats.TopEigenvalues, spec.Stats.LanczosSteps = *eig, *lanczos
	spec.Stats.Seed = spec.Seed
	check := spec.Model
	check.C, check.D, check.N = spec.C, max(spec.D, 1), spec.N
	if err := check.Validate(); err != nil {
		return spec, false, "", bad("%v", err)
	}
	// The model's sizes come from the data; record them (not the defaults
	// of numerics.DefaultConfig) so the printed spec does not contradict
	// itself. D = 0 (MNIST's raw pixels) stays 0 here, as in spec.D.
	spec.Model.C, spec.Model.D, spec.Model.N, spec.Model.Seed = spec.C, spec.D, spec.N, spec.Seed
	return spec, *jsonFlag, *outFile, nil
}

func runTrain(args []string, stdout, stderr io.Writer) error {
	spec, asJSON, out, err := parseTrainFlags(args, stderr)
	if err != nil {
		return err
	}
	if out != "" {
		if err := checkOutputFile(out); err != nil {
			return err
		}
	}
	var res *trainResult
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
		fmt.Fprintf(stdout, "training %s on %s: N=%d d=%d C=%d, %s lr=%g batch=%d, %d steps, seed %d\n",
			spec.Model.Model, spec.Data, spec.N, spec.D, spec.C, spec.Optimizer, spec.LR, spec.Batch, spec.Steps, spec.Seed)
	}
	res, err = runTraining(spec, progress)
	if err != nil {
		if errors.Is(err, numerics.ErrInvalidConfig) {
			return usageError{err}
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
	fmt.Fprintf(stdout, "\n%s, P = %d, %.1f s\n%s\n", res.DataName, res.Params, res.Seconds, closingNote(res))
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
		cols = append(cols, withErr(st.Summary.Rho, st.RhoStdErr))
		for i, r := range st.Summary.Ratios {
			cols = append(cols, withErr(r.R, st.RatioStdErr[i]))
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

// closingNote states ρ and R at initialization and after training.
func closingNote(res *trainResult) string {
	ck := res.Checkpoints
	if len(ck) == 0 || ck[0].Stats == nil {
		return ""
	}
	a, b := ck[0], ck[len(ck)-1]
	var sb strings.Builder
	fmt.Fprintf(&sb, "step %d → %d: loss %.4f → %.4f, accuracy %.3f → %.3f; ρ %s → %s",
		a.Step, b.Step, a.Loss, b.Loss, a.Accuracy, b.Accuracy,
		withErr(a.Stats.Summary.Rho, a.Stats.RhoStdErr), withErr(b.Stats.Summary.Rho, b.Stats.RhoStdErr))
	for i, r := range a.Stats.Summary.Ratios {
		fmt.Fprintf(&sb, "; R %s %s → %s", r.Family, withErr(r.R, a.Stats.RatioStdErr[i]),
			withErr(b.Stats.Summary.Ratios[i].R, b.Stats.RatioStdErr[i]))
	}
	if a.Stats.Method == numerics.StatsSampled {
		sb.WriteString(" (sampled blocks: ± one standard error)")
	}
	return sb.String()
}
