package train

import (
	"errors"
	"fmt"
	"github.com/hessblock/hessblock/internal/membudget"
	"math"
	"strings"
)

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
		return fmt.Errorf("train: learning rate %v, want a finite value > 0", lr)
	}
	return nil
}

func checkBatch(b int) error {
	if b < 0 {
		return fmt.Errorf("train: batch size %d, want ≥ 0 (0 = full batch)", b)
	}
	return nil
}

func (o GD) validate() error { return checkLR(o.LR) }
func (o SGD) validate() error {
	if !(o.Momentum >= 0 && o.Momentum < 1) {
		return errors.Join(checkLR(o.LR), checkBatch(o.Batch), fmt.Errorf("train: momentum %v, want [0, 1)", o.Momentum))
	}
	return errors.Join(checkLR(o.LR), checkBatch(o.Batch))
}
func (o Adam) validate() error {
	errs := []error{checkLR(o.LR), checkBatch(o.Batch)}
	b1, b2, eps := o.params()
	if !(b1 >= 0 && b1 < 1) || !(b2 >= 0 && b2 < 1) {
		errs = append(errs, fmt.Errorf("train: Adam betas (%v, %v), want [0, 1)", o.Beta1, o.Beta2))
	}
	if !(eps > 0) || math.IsInf(eps, 0) {
		errs = append(errs, fmt.Errorf("train: Adam eps %v, want a finite value > 0", o.Eps))
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
		return nil, fmt.Errorf("train: unknown optimizer %q (want gd, sgd or adam)", name)
	}
	if err := o.validate(); err != nil {
		return nil, err
	}
	return o, nil
}

// StateBytes estimates the memory an optimizer of the given name adds to
// a problem of P parameters during Run: the parameter vector and gradient
// (2·P floats) and the optimizer's state: SGD's momentum buffer (P), Adam's
// two moment vectors (2·P).
func StateBytes(name string, params int) int64 {
	p := float64(params)
	floats := 2 * p
	switch strings.ToLower(name) {
	case "sgd":
		floats += p
	case "adam":
		floats += 2 * p
	}
	return membudget.Floats(floats)
}
