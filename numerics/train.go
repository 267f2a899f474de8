package numerics

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"

	"gonum.org/v1/gonum/mat"
)

// streamBatch is the random stream of minibatch draws (see newRand); it
// is far from the streams of problem.go so the two never collide.
const streamBatch uint64 = 0x7472_6169_6e00 // "train"

// Optimizer is a training rule: GD, SGD or Adam. The set is closed so that
// every optimizer is validated and seeded the same way.
type Optimizer interface {
	// String names the optimizer and its hyper-parameters.
	String() string
	validate() error
	// batchSize is the minibatch size; 0 means the full batch.
	batchSize() int
	newState(np int) stepper
}

// stepper updates θ in place from the gradient at step t = 1, 2, ….
type stepper interface {
	step(theta, grad []float64, t int)
}

// GD is full-batch gradient descent θ ← θ − LR·∇L(θ).
type GD struct {
	LR float64
}

// SGD is minibatch stochastic gradient descent with optional heavy-ball
// momentum: b ← μ·b + g, θ ← θ − LR·b, the gradient g taken on Batch
// samples drawn without replacement within an epoch (a seeded shuffle per
// pass over the data). Batch 0 means the full batch.
type SGD struct {
	LR       float64
	Batch    int
	Momentum float64 // μ ∈ [0, 1)
}

// Adam is Kingma and Ba's optimizer with bias correction on minibatches of
// Batch samples (0: full batch). Zero Beta1, Beta2 and Eps take the usual
// defaults 0.9, 0.999 and 1e−8.
type Adam struct {
	LR           float64
	Beta1, Beta2 float64
	Eps          float64
	Batch        int
}

func (o GD) String() string { return fmt.Sprintf("gd(lr=%g)", o.LR) }
func (o SGD) String() string {
	return fmt.Sprintf("sgd(lr=%g,batch=%d,momentum=%g)", o.LR, o.Batch, o.Momentum)
}
func (o Adam) String() string {
	b1, b2, eps := o.params()
	return fmt.Sprintf("adam(lr=%g,beta1=%g,beta2=%g,eps=%g,batch=%d)", o.LR, b1, b2, eps, o.Batch)
}

func checkLR(lr float64) error {
	if !(lr > 0) || math.IsInf(lr, 0) {
		return fmt.Errorf("numerics: learning rate %v, want a finite value > 0", lr)
	}
	return nil
}

func checkBatch(b int) error {
	if b < 0 {
		return fmt.Errorf("numerics: batch size %d, want ≥ 0 (0 = full batch)", b)
	}
	return nil
}

func (o GD) validate() error { return checkLR(o.LR) }
func (o SGD) validate() error {
	if !(o.Momentum >= 0 && o.Momentum < 1) {
		return errors.Join(checkLR(o.LR), checkBatch(o.Batch), fmt.Errorf("numerics: momentum %v, want [0, 1)", o.Momentum))
	}
	return errors.Join(checkLR(o.LR), checkBatch(o.Batch))
}
func (o Adam) validate() error {
	errs := []error{checkLR(o.LR), checkBatch(o.Batch)}
	b1, b2, eps := o.params()
	if !(b1 >= 0 && b1 < 1) || !(b2 >= 0 && b2 < 1) {
		errs = append(errs, fmt.Errorf("numerics: Adam betas (%v, %v), want [0, 1)", o.Beta1, o.Beta2))
	}
	if !(eps > 0) || math.IsInf(eps, 0) {
		errs = append(errs, fmt.Errorf("numerics: Adam eps %v, want a finite value > 0", o.Eps))
	}
	return errors.Join(errs...)
}

func (o GD) batchSize() int   { return 0 }
func (o SGD) batchSize() int  { return o.Batch }
func (o Adam) batchSize() int { return o.Batch }

func (o Adam) params() (b1, b2, eps float64) {
	b1, b2, eps = o.Beta1, o.Beta2, o.Eps
	if b1 == 0 {
		b1 = 0.9
	}
	if b2 == 0 {
		b2 = 0.999
	}
	if eps == 0 {
		eps = 1e-8
	}
	return b1, b2, eps
}

type gdState struct{ lr float64 }

func (s gdState) step(theta, grad []float64, _ int) {
	for i, g := range grad {
		theta[i] -= s.lr * g
	}
}

type sgdState struct {
	lr, mu float64
	buf    []float64
}

func (s *sgdState) step(theta, grad []float64, _ int) {
	if s.mu == 0 {
		gdState{s.lr}.step(theta, grad, 0)
		return
	}
	for i, g := range grad {
		s.buf[i] = s.mu*s.buf[i] + g
		theta[i] -= s.lr * s.buf[i]
	}
}

type adamState struct {
	lr, b1, b2, eps float64
	m, v            []float64
}

func (s *adamState) step(theta, grad []float64, t int) {
	c1 := 1 - math.Pow(s.b1, float64(t))
	c2 := 1 - math.Pow(s.b2, float64(t))
	for i, g := range grad {
		s.m[i] = s.b1*s.m[i] + (1-s.b1)*g
		s.v[i] = s.b2*s.v[i] + (1-s.b2)*g*g
		theta[i] -= s.lr * (s.m[i] / c1) / (math.Sqrt(s.v[i]/c2) + s.eps)
	}
}

func (o GD) newState(int) stepper { return gdState{o.LR} }
func (o SGD) newState(np int) stepper {
	return &sgdState{lr: o.LR, mu: o.Momentum, buf: make([]float64, np)}
}
func (o Adam) newState(np int) stepper {
	b1, b2, eps := o.params()
	return &adamState{lr: o.LR, b1: b1, b2: b2, eps: eps, m: make([]float64, np), v: make([]float64, np)}
}

// ParseOptimizer builds an optimizer from its command-line name ("gd",
// "sgd" or "adam"), learning rate and batch size (ignored by GD).
func ParseOptimizer(name string, lr float64, batch int) (Optimizer, error) {
	var o Optimizer
	switch strings.ToLower(name) {
	case "gd":
		o = GD{LR: lr}
	case "sgd":
		o = SGD{LR: lr, Batch: batch}
	case "adam":
		o = Adam{LR: lr, Batch: batch}
	default:
		return nil, fmt.Errorf("numerics: unknown optimizer %q (want gd, sgd or adam)", name)
	}
	if err := o.validate(); err != nil {
		return nil, err
	}
	return o, nil
}

// TrainOptions configures Train.
type TrainOptions struct {
	Optimizer Optimizer
	// Steps is the number of parameter updates, ≥ 0.
	Steps int
	// Checkpoints are the steps, in [0, Steps], after which the state is
	// recorded (0 = at initialization). Duplicates are merged and the order
	// does not matter. Nil means {0, Steps}.
	Checkpoints []int
	// Seed drives the minibatch draws (the initialization comes from the
	// problem's Config.Seed).
	Seed uint64
	// Stats, if not nil, computes Hessian statistics at every checkpoint
	// with ComputeHessianStats.
	Stats *StatsOptions
	// KeepParams stores a copy of θ in every checkpoint.
	KeepParams bool
	// Progress, if not nil, is called after each checkpoint is recorded.
	Progress func(Checkpoint)
}

// Checkpoint is the state of training after Step updates. Loss, Accuracy
// and GradNorm are over the whole data set, not one minibatch.
type Checkpoint struct {
	Step     int           `json:"step"`
	Loss     float64       `json:"loss"`
	Accuracy float64       `json:"accuracy"`
	GradNorm float64       `json:"grad_norm"` // ‖∇L(θ)‖₂
	Stats    *HessianStats `json:"stats,omitempty"`
	Params   []float64     `json:"-"`
}

// Train runs the optimizer on p from its current parameters and returns
// the checkpoints in step order; p is left at the final parameters. If the
// loss or the gradient stops being finite, Train stops with an error (and
// the checkpoints recorded so far) rather than continue with NaN.
func Train(p *Problem, opts TrainOptions) ([]Checkpoint, error) {
	if err := p.check(); err != nil {
		return nil, fmt.Errorf("numerics: Train: %w", err)
	}
	if isNilOptimizer(opts.Optimizer) {
		return nil, errors.New("numerics: Train: no optimizer")
	}
	if err := opts.Optimizer.validate(); err != nil {
		return nil, fmt.Errorf("numerics: Train: %w", err)
	}
	if opts.Steps < 0 {
		return nil, fmt.Errorf("numerics: Train: %d steps, want ≥ 0", opts.Steps)
	}
	if b := opts.Optimizer.batchSize(); b > p.cfg.N {
		return nil, fmt.Errorf("numerics: Train: batch size %d exceeds the %d samples", b, p.cfg.N)
	}
	if opts.Stats != nil {
		if err := opts.Stats.validate(); err != nil {
			return nil, fmt.Errorf("numerics: Train: %w", err)
		}
	}
	ckpts := opts.Checkpoints
	if ckpts == nil {
		ckpts = []int{0, opts.Steps}
	}
	ckpts = slices.Clone(ckpts)
	slices.Sort(ckpts)
	ckpts = slices.Compact(ckpts)
	for _, s := range ckpts {
		if s < 0 || s > opts.Steps {
			return nil, fmt.Errorf("numerics: Train: checkpoint %d outside [0, %d]", s, opts.Steps)
		}
	}

	var out []Checkpoint
	record := func(step int) error {
		c, err := p.checkpoint(step, opts)
		if err != nil {
			return err
		}
		out = append(out, c)
		if opts.Progress != nil {
			opts.Progress(c)
		}
		return nil
	}
	next := 0 // index of the next checkpoint
	if next < len(ckpts) && ckpts[next] == 0 {
		if err := record(0); err != nil {
			return out, err
		}
		next++
	}
	np := p.NumParams()
	theta := p.Params()
	grad := make([]float64, np)
	state := opts.Optimizer.newState(np)
	batches := newBatcher(p, opts.Optimizer.batchSize(), opts.Seed)
	for t := 1; t <= opts.Steps; t++ {
		q := batches.next()
		loss, _ := q.LossGradient(grad)
		if math.IsNaN(loss) || math.IsInf(loss, 0) {
			return out, fmt.Errorf("numerics: Train: loss is %v at step %d (%v diverged; lower the learning rate)", loss, t, opts.Optimizer)
		}
		state.step(theta, grad, t)
		if err := p.SetParams(theta); err != nil {
			return out, fmt.Errorf("numerics: Train: step %d (%v diverged; lower the learning rate): %w", t, opts.Optimizer, err)
		}
		if next < len(ckpts) && ckpts[next] == t {
			if err := record(t); err != nil {
				return out, err
			}
			next++
		}
	}
	return out, nil
}

// isNilOptimizer reports whether o is nil or a nil pointer such as a nil
// *GD, whose value methods would panic.
func isNilOptimizer(o Optimizer) bool {
	if o == nil {
		return true
	}
	v := reflect.ValueOf(o)
	return v.Kind() == reflect.Pointer && v.IsNil()
}

func (p *Problem) checkpoint(step int, opts TrainOptions) (Checkpoint, error) {
	f := p.forward()
	c := Checkpoint{Step: step, Loss: f.loss, Accuracy: f.accuracy(p.labels)}
	g := p.gradient(f, nil)
	var s float64
	for _, v := range g {
		s += v * v
	}
	c.GradNorm = math.Sqrt(s)
	if math.IsNaN(c.Loss) || math.IsInf(c.Loss, 0) || math.IsNaN(c.GradNorm) || math.IsInf(c.GradNorm, 0) {
		return c, fmt.Errorf("numerics: Train: loss %v, gradient norm %v at step %d", c.Loss, c.GradNorm, step)
	}
	if opts.KeepParams {
		c.Params = p.Params()
	}
	if opts.Stats != nil {
		st, err := ComputeHessianStats(p, *opts.Stats)
		if err != nil {
			return c, fmt.Errorf("numerics: Train: statistics at step %d: %w", step, err)
		}
		c.Stats = st
	}
	return c, nil
}

// Accuracy returns the fraction of samples whose largest logit is at their
// label (ties go to the lowest class index).
func (p *Problem) Accuracy() float64 { return p.forward().accuracy(p.labels) }

func (f *forward) accuracy(labels []int) float64 {
	var hits int
	for i := 0; i < f.n; i++ {
		if f.predicted(i, labels[i]) == labels[i] {
			hits++
		}
	}
	return float64(hits) / float64(f.n)
}

// batcher hands out minibatch views of a problem: a Problem bound to a
// reused B×d buffer of the selected rows that shares W and V with the
// full problem, so a step costs O(B·d) copying and no allocation of
// parameters. Rows are drawn without replacement within an epoch from a
// seeded shuffle.
type batcher struct {
	full *Problem
	sub  *Problem
	perm []int
	pos  int
	rnd  *rand.Rand
}

func newBatcher(p *Problem, batch int, seed uint64) *batcher {
	b := &batcher{full: p}
	if batch == 0 || batch >= p.cfg.N {
		return b
	}
	cfg := p.cfg
	cfg.N = batch
	b.sub = &Problem{cfg: cfg, x: mat.NewDense(batch, cfg.D, nil), labels: make([]int, batch), w: p.w, v: p.v}
	b.rnd = newRand(seed, streamBatch)
	b.perm = make([]int, p.cfg.N)
	for i := range b.perm {
		b.perm[i] = i
	}
	b.pos = len(b.perm) // shuffle on first use
	return b
}

// next returns the problem whose loss and gradient are the next step's.
func (b *batcher) next() *Problem {
	if b.sub == nil {
		return b.full
	}
	nb := b.sub.cfg.N
	for i := 0; i < nb; i++ {
		if b.pos == len(b.perm) {
			b.rnd.Shuffle(len(b.perm), func(i, j int) { b.perm[i], b.perm[j] = b.perm[j], b.perm[i] })
			b.pos = 0
		}
		r := b.perm[b.pos]
		b.pos++
		copy(b.sub.x.RawRowView(i), b.full.x.RawRowView(r))
		b.sub.labels[i] = b.full.labels[r]
	}
	return b.sub
}
