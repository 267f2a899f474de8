package experiment

import (
	"fmt"
	"slices"
	"time"

	"gonum.org/v1/gonum/mat"

	"github.com/hessblock/hessblock/internal/loadmodel"

	"github.com/hessblock/hessblock/internal/membudget"
	"github.com/hessblock/hessblock/modelfile"
	"github.com/hessblock/hessblock/numerics"
	"github.com/hessblock/hessblock/train"
)

// Result is what a run produces; it is the JSON output of train.
type Result struct {
	Spec        Spec               `json:"spec"`
	DataName    string             `json:"data_name"`
	Config      numerics.Config    `json:"config"`
	Params      int                `json:"params"`
	Checkpoints []train.Checkpoint `json:"checkpoints"`
	// Seconds is the wall time, shown in the table but kept out of the
	// JSON so that the same flags give byte-identical files.
	Seconds float64 `json:"-"`
}

// Run loads the data, builds the problem and trains it, calling
// progress after every checkpoint. A spec whose MemoryBytes exceed the
// memory budget (membudget.Limit) is a *membudget.Error, before the data
// is loaded.
func Run(s Spec, progress func(train.Checkpoint)) (*Result, error) {
	start := time.Now()
	if err := s.CheckMemory(membudget.Limit()); err != nil {
		return nil, err
	}
	p, name, err := problem(s)
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
	return &Result{
		Spec: s, DataName: name, Config: p.Config(), Params: p.NumParams(),
		Checkpoints: ck, Seconds: time.Since(start).Seconds(),
	}, nil
}

// problem builds the problem of a spec: a network drawn from the seed on
// its data set, or the network of its Load file on the file's data or on
// the data set.
func problem(s Spec) (*numerics.Problem, string, error) {
	var m *modelfile.Model
	if s.Load != "" {
		var err error
		if m, err = loadmodel.Read(s.Load); err != nil {
			return nil, "", err
		}
	}
	var (
		x      mat.Matrix
		labels []int
		name   string
	)
	if s.Data == FromFile {
		if err := m.RequireData(); err != nil {
			return nil, "", fmt.Errorf("%s: %w", s.Load, err)
		}
		x, labels, name = m.X, m.Labels, s.Load
	} else {
		set, err := LoadData(s)
		if err != nil {
			return nil, "", err
		}
		x, labels, name = set.X, set.Labels, set.Name
	}
	cfg := s.Model
	if m == nil {
		cfg.C, cfg.N, cfg.D, cfg.Seed = s.C, 0, 0, s.Seed
		p, err := numerics.NewProblemWithData(cfg, x, labels)
		return p, name, err
	}
	// The spec was made from the file; refuse a file that changed since.
	got, err := loadmodel.Config(m, loadmodel.Choices{Activation: cfg.Activation, Loss: cfg.Loss})
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", s.Load, err)
	}
	if !slices.Equal(got.LayerSizes(), cfg.LayerSizes()) || got.Bias != cfg.Bias || !slices.Equal(got.LayerBias, cfg.LayerBias) {
		return nil, "", fmt.Errorf("%s: the file holds %v, the spec %v", s.Load, got, cfg)
	}
	cfg.N, cfg.Seed = 0, s.Seed
	p, err := loadmodel.Problem(m, cfg, x, labels)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", s.Load, err)
	}
	return p, name, nil
}
