package experiment

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/hessblock/hessblock/kind"
	"github.com/hessblock/hessblock/numerics"
	"github.com/hessblock/hessblock/train"
)

// Spec fixes one training run completely: data, model, optimizer,
// checkpoints and statistics. The same spec gives the same numbers.
type Spec struct {
	// Data names the data set, or is FromFile for the X and y of Load.
	Data string `json:"data"`
	// Load is the model file (package modelfile) whose network training
	// starts from, or "" for a network drawn from Seed. The file fixes
	// Model's sizes, depth and biases, and C and d.
	Load string `json:"load,omitempty"`
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
	Stats StatsOptions `json:"stats"`
}

// StatsOptions is numerics.MeasureOptions with the JSON field names of the
// rest of the output (numerics' type has none, so it would print Go names).
type StatsOptions numerics.MeasureOptions

// MarshalJSON implements json.Marshaler.
func (o StatsOptions) MarshalJSON() ([]byte, error) {
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

// Defaults returns the default spec of a data set: sizes where
// `hessblock train -data X` runs in seconds with the dense statistics
// (gaussian, clustered, mnist) or the sampled ones (gotext, P = C·d).
func Defaults(data string) (Spec, error) {
	s := Spec{
		Data: data, Optimizer: "adam", LR: 0.01, Batch: 128, Steps: 300, Seed: 1,
		Stats: StatsOptions{Method: numerics.StatsAuto, MaxDenseParams: 2000, DiagSamples: 64, PairSamples: 256, TopEigenvalues: 3, LanczosSteps: 30},
	}
	mlp := numerics.DefaultConfig(kind.MLP)
	mlp.M = 16
	lin := numerics.DefaultConfig(kind.Linear)
	switch data {
	case Gaussian:
		s.N, s.D, s.C, s.Model = 1000, 40, 10, mlp
	case Clustered:
		s.N, s.D, s.C, s.Model = 1000, 40, 10, mlp
		s.Radius, s.Spread = 2, 1
	case MNIST:
		s.N, s.D, s.C, s.Model = 2000, 64, 10, mlp
	case GoText:
		s.N, s.D, s.C, s.Model = 2000, 32, 1000, lin
		s.LR = 0.05
		s.Batch = 256
	default:
		return s, fmt.Errorf("unknown data set %q (want %s, %s, %s or %s)", data, Gaussian, Clustered, MNIST, GoText)
	}
	s.Checkpoints = LogCheckpoints(s.Steps, CheckpointDensity(data))
	return s, nil
}

// CheckpointDensity is the number of log-spaced default checkpoints: fewer
// for gotext, whose exact statistics cost O(N²·C) each.
func CheckpointDensity(data string) int {
	if data == GoText {
		return 3
	}
	return 6
}

// LogCheckpoints returns 0 and about k log-spaced steps up to steps.
func LogCheckpoints(steps, k int) []int {
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

// Validate reports what makes the spec unrunnable, in terms of the
// command's flags: sizes, the optimizer, batch and checkpoints, the
// statistics options and the model's own configuration.
func (s Spec) Validate() error {
	if s.Data == FromFile && s.Load == "" {
		return fmt.Errorf("data from a file needs -load")
	}
	if !slices.Contains(DataSets, s.Data) && s.Data != FromFile {
		return fmt.Errorf("-data: unknown data set %q (want %s)", s.Data, strings.Join(DataSets, ", "))
	}
	if s.Data == Clustered {
		for _, f := range []struct {
			name string
			v    float64
		}{{"radius", s.Radius}, {"spread", s.Spread}} {
			if math.IsNaN(f.v) || math.IsInf(f.v, 0) || f.v < 0 {
				return fmt.Errorf("-%s %g, want a finite value ≥ 0", f.name, f.v)
			}
		}
	}
	if s.Data == MNIST && s.C != 10 {
		return fmt.Errorf("-C %d: MNIST has 10 classes", s.C)
	}
	if s.N < 1 || s.C < 2 || s.D < 0 || (s.D == 0 && s.Data != MNIST) {
		return fmt.Errorf("sizes N = %d, d = %d, C = %d: want N ≥ 1, d ≥ 1 (0 only for mnist: raw pixels), C ≥ 2", s.N, s.D, s.C)
	}
	if _, err := train.ParseOptimizer(s.Optimizer, s.LR, s.Batch); err != nil {
		return err
	}
	if s.Batch > s.N {
		return fmt.Errorf("-batch %d exceeds -N %d", s.Batch, s.N)
	}
	if s.Steps < 0 {
		return fmt.Errorf("-steps %d, want ≥ 0", s.Steps)
	}
	for _, c := range s.Checkpoints {
		if c < 0 || c > s.Steps {
			return fmt.Errorf("-checkpoints: %d is not a step in [0, %d]", c, s.Steps)
		}
	}
	st := s.Stats
	for _, f := range []struct {
		name string
		v    int
	}{{"max-dense-params", st.MaxDenseParams}, {"pairs", st.PairSamples}, {"diag", st.DiagSamples}, {"lanczos", st.LanczosSteps}} {
		if f.v <= 0 {
			return fmt.Errorf("-%s %d, want > 0", f.name, f.v)
		}
	}
	if st.TopEigenvalues < 0 {
		return fmt.Errorf("-eig %d, want ≥ 0 (0: no eigenvalues)", st.TopEigenvalues)
	}
	check := s.Model
	check.C, check.D, check.N = s.C, max(s.D, 1), s.N
	return check.Validate()
}

// CommandLine is the hessblock command that reproduces the run.
func (s Spec) CommandLine() string {
	args := []string{"hessblock train"}
	if s.Load != "" {
		args = append(args, "-load "+shellWord(s.Load))
	} else {
		args = append(args, "-model "+string(s.Model.Model))
	}
	if s.Model.Model == kind.MLP {
		args = append(args, "-activation "+string(s.Model.Activation))
		if s.Load == "" {
			args = append(args, "-m "+strconv.Itoa(s.Model.M))
		}
	}
	args = append(args, "-loss "+string(s.Model.Loss))
	if s.Load == "" {
		if s.Model.Depth != 0 {
			args = append(args, "-depth "+strconv.Itoa(s.Model.Depth))
		}
		if s.Model.Bias {
			args = append(args, "-bias")
		}
	}
	switch {
	case s.Data == FromFile:
	case s.Load != "":
		args = append(args, "-data "+s.Data, fmt.Sprintf("-N %d", s.N))
	default:
		args = append(args, "-data "+s.Data, fmt.Sprintf("-N %d -d %d", s.N, s.D))
		if s.Data != MNIST {
			args = append(args, fmt.Sprintf("-C %d", s.C))
		}
	}
	ck := make([]string, len(s.Checkpoints))
	for i, c := range s.Checkpoints {
		ck[i] = strconv.Itoa(c)
	}
	args = append(args, fmt.Sprintf("-opt %s -lr %g -batch %d -steps %d -checkpoints %s -eig %d -lanczos %d -seed %d",
		s.Optimizer, s.LR, s.Batch, s.Steps, strings.Join(ck, ","), s.Stats.TopEigenvalues, s.Stats.LanczosSteps, s.Seed))
	return strings.Join(args, " ")
}

// shellWord quotes a path for a POSIX shell when it needs quoting.
func shellWord(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r == '/' || r == '.' || r == '-' || r == '_' || r == '+' || r == ',' || r == ':' || r == '=' ||
			('0' <= r && r <= '9') || ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z'))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
