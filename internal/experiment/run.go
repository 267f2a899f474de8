package experiment

import (
	"time"

	"github.com/hessblock/hessblock/internal/membudget"
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
	set, err := LoadData(s)
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
	return &Result{
		Spec: s, DataName: set.Name, Config: p.Config(), Params: p.NumParams(),
		Checkpoints: ck, Seconds: time.Since(start).Seconds(),
	}, nil
}
