package experiment

import (
	"fmt"

	"github.com/hessblock/hessblock/internal/membudget"
	"github.com/hessblock/hessblock/numerics"
	"github.com/hessblock/hessblock/train"
)

// Loading a real data set holds more than its N×d result: MNIST's raw
// images and labels (cached for the process) and the Go-text task's
// tokenized corpus. Measured with runtime.MemStats on linux/amd64 (heap in
// use after loading MNIST: 161 MiB; the Go-text corpus peaks below its
// 179 MiB of allocations).
const (
	mnistLoadBytes  int64 = 160 << 20
	goTextLoadBytes int64 = 180 << 20
)

// mnistPixels is the input dimension of MNIST without projection.
const mnistPixels = 784

// MemoryBytes estimates the peak memory of Run: the data set, the
// problem's copy of it with weights, a forward pass and the checkpoints'
// statistics (numerics.Config.MeasureBytes), a minibatch's forward pass,
// and the optimizer's state (train.StateBytes).
func (s Spec) MemoryBytes() int64 {
	cfg := s.Model
	cfg.C, cfg.N, cfg.D = s.C, s.N, s.D
	if cfg.D == 0 {
		cfg.D = mnistPixels
	}
	b := membudget.Floats(float64(cfg.N)*float64(cfg.D), float64(cfg.N)) // the data set
	switch s.Data {
	case MNIST:
		b = membudget.Add(b, mnistLoadBytes)
	case GoText:
		b = membudget.Add(b, goTextLoadBytes)
	}
	// The problem and the checkpoints' statistics (numerics.Measure).
	switch st := s.Stats; {
	case st.Method == numerics.StatsSampled:
		b = membudget.Add(b, membudget.Add(cfg.ProblemBytes(), cfg.BlockBytes()))
	case st.Method == numerics.StatsStructured || (st.MaxDenseParams > 0 && cfg.NumParams() > st.MaxDenseParams):
		b = membudget.Add(b, cfg.MeasureBytes(0)) // never dense
	default:
		b = membudget.Add(b, cfg.MeasureBytes(numerics.DefaultMaxDenseBytes))
	}
	if s.Batch > 0 && s.Batch < cfg.N {
		batch := cfg
		batch.N = s.Batch
		b = membudget.Add(b, membudget.Add(membudget.Floats(float64(s.Batch)*float64(cfg.D)), batch.ForwardBytes()))
	}
	if s.Load != "" {
		// The file's arrays (its data are counted above as the data set)
		// and loadmodel's transient copies of θ.
		b = membudget.Add(b, membudget.Floats(3*float64(cfg.NumParams())))
	}
	return membudget.Add(b, train.StateBytes(s.Optimizer, cfg.NumParams()))
}

// CheckMemory returns a *membudget.Error if MemoryBytes exceeds budget,
// with the largest N that would fit.
func (s Spec) CheckMemory(budget int64) error {
	need := s.MemoryBytes()
	if need <= budget {
		return nil
	}
	hint := "use smaller C, d or m"
	switch s.Data {
	case MNIST:
		hint = "loading MNIST takes about " + membudget.Format(mnistLoadBytes) + " by itself"
	case GoText:
		hint = "loading the Go-text corpus takes about " + membudget.Format(goTextLoadBytes) + " by itself; or use smaller C, d or m"
	}
	if n := membudget.LargestFitting(s.N, func(n int) bool {
		k := s
		k.N, k.Batch = n, min(s.Batch, n)
		return k.MemoryBytes() <= budget
	}); n > 0 {
		hint = fmt.Sprintf("-N %d would fit", n)
	}
	return membudget.Check(fmt.Sprintf("training on %s with N = %d, d = %d, C = %d (data, problem, statistics, %s state)", s.Data, s.N, s.D, s.C, s.Optimizer), need, budget, hint)
}
