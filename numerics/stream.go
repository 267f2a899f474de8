package numerics

import (
	"math"

	"github.com/hessblock/hessblock/internal/membudget"
	"github.com/hessblock/hessblock/kind"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/mat"
)

// The linear model (one layer; with a bias, the model on inputs augmented
// with a 1, Problem.structuredProblem) needs no N×C array for anything but
// a full forward pass: its loss, gradient, accuracy and single blocks come
// from per-sample normalizers (log-sum-exp, most probable class, 1 − p_top)
// streamed over panels of classes, one N×panel block of logits at a time.
// Single blocks and the representative block spectra always take this
// path. The loss, gradient and accuracy take it when a forward pass does
// not fit the memory budget (Problem.streams), at one more GEMM of N·C·d
// (the logits are computed twice); that is what lets a Problem at C = 10⁵
// or more be measured in O(N² + N·panel + C·d) memory (THEORY §2.3).

// classStats are the per-sample normalizers of the logits z_n = W x_n.
type classStats struct {
	top          []int     // the largest logit, ties to the lowest class
	lse, ptop, q []float64 // CE: log Σ_k e^{z_nk}, p_top, 1 − p_top summed from the other classes
}

// classStats streams over panels of `panel` classes with buf (N×panel
// floats) for the logits: one pass for the top class and, for CE, the
// running log-sum-exp, a second for q (CE only).
func (of *outputFamily) classStats(panel int, buf []float64) classStats {
	n := of.n
	st := classStats{top: make([]int, n)}
	best := make([]float64, n)
	var zmax, sum []float64
	if of.ce {
		st.lse, st.ptop, st.q = make([]float64, n), make([]float64, n), make([]float64, n)
		zmax, sum = make([]float64, n), make([]float64, n)
	}
	for i := range best {
		best[i] = math.Inf(-1)
		if of.ce {
			zmax[i] = math.Inf(-1)
		}
	}
	of.eachLogitRow(panel, buf, func(i, k0 int, row []float64) {
		for k, v := range row {
			if v > best[i] || k0+k == 0 {
				st.top[i], best[i] = k0+k, v
			}
		}
		if of.ce {
			zmax[i], sum[i] = addExp(zmax[i], sum[i], row)
		}
	})
	if !of.ce {
		return st
	}
	for i := range st.lse {
		st.lse[i] = zmax[i] + math.Log(sum[i])
		st.ptop[i] = math.Exp(best[i] - st.lse[i])
	}
	of.eachLogitRow(panel, buf, func(i, k0 int, row []float64) {
		for k, v := range row {
			if k0+k != st.top[i] {
				st.q[i] += math.Exp(v - st.lse[i])
			}
		}
	})
	return st
}

// eachLogitRow computes the logits of each panel of classes into buf and
// calls row for every sample's part of it (samples in parallel, panels in
// order).
func (of *outputFamily) eachLogitRow(panel int, buf []float64, row func(i, k0 int, z []float64)) {
	n := of.n
	for k0 := 0; k0 < of.c; k0 += panel {
		w := min(panel, of.c-k0)
		z := buf[:n*w]
		of.logits(z, k0, w)
		parallelRows(n, func(i0, i1 int) {
			for i := i0; i < i1; i++ {
				row(i, k0, z[i*w:(i+1)*w])
			}
		})
	}
}

// streamBytes is the memory of the streamed normalizers and single blocks
// beyond the data: one panel of logits, the normalizers and two columns of
// probabilities, and for a bias the augmented copy of X and W. The
// streamed gradient adds its P floats (forwardBytesAt).
func (c Config) streamBytes() int64 {
	a := c.augmented()
	n, cc := float64(a.N), float64(a.C)
	b := membudget.Floats(n*math.Min(cc, hvpPanel), 7*n)
	if !c.legacy() {
		b = membudget.Add(b, a.DataBytes())
	}
	return b
}

// streamable reports whether the configuration is a linear model, whose
// loss, gradient and blocks can be streamed over classes.
func (c Config) streamable() bool {
	return c.NumLayers() == 1 && (c.legacy() || c.Model == kind.Linear)
}

// forwardBytesAt is the memory the loss and gradient need under budget:
// a forward pass (ForwardBytes) when it fits beside the data, else, for
// the linear model, the streamed computation when it is smaller (at C
// above a few classes; budget ≤ 0: no limit).
func (c Config) forwardBytesAt(budget int64) int64 {
	full := c.ForwardBytes()
	if budget <= 0 || !c.streamable() || membudget.Add(c.DataBytes(), full) <= budget {
		return full
	}
	return min(full, membudget.Add(c.streamBytes(), membudget.Floats(float64(c.NumParams()))))
}

// streams reports whether p computes its loss, gradient and accuracy
// streamed over classes: a linear model whose forward pass does not fit
// the memory budget beside its data.
func (p *Problem) streams() bool {
	p.mustCheck()
	return p.cfg.forwardBytesAt(p.maxBytes()) != p.cfg.ForwardBytes()
}

// linear returns the problem whose streamed quantities are p's and its
// output family (the logits W x_n): p itself, or for a bias the model on
// augmented inputs, which has the same θ order.
func (p *Problem) linear() (*Problem, *outputFamily, error) {
	q, err := p.structuredProblem()
	if err != nil {
		return nil, nil, err
	}
	cfg := q.cfg
	return q, &outputFamily{feat: q.x.RawMatrix().Data, n: cfg.N, f: cfg.D, wout: q.w.RawMatrix().Data, c: cfg.C, ce: cfg.Loss == kind.CE}, nil
}

// streamLossGradient returns the loss and, if dst is not nil, the gradient
// (dst of length NumParams) of a linear problem: r_n = p_n − e_y (CE, with
// r_y = −q_n at the top class) or z_n − e_y (MSE), one panel at a time,
// and ∂L/∂W = (1/N) Rᵀ X panel by panel.
func (p *Problem) streamLossGradient(dst []float64) (float64, []float64) {
	q, of, err := p.linear()
	if err != nil {
		panic(err.Error()) // streamable configurations only
	}
	n, d, c := of.n, of.f, of.c
	panel := min(hvpPanel, c)
	buf := make([]float64, n*panel)
	var st classStats
	if of.ce {
		st = of.classStats(panel, buf)
	}
	labels := q.labels
	var total float64
	if of.ce {
		for i, y := range labels {
			total += st.lse[i] - dot(of.feat[i*d:(i+1)*d], of.wout[y*d:(y+1)*d])
		}
	}
	rows := make([]float64, n) // per-sample MSE sums, added in sample order
	for k0 := 0; k0 < c; k0 += panel {
		w := min(panel, c-k0)
		r := buf[:n*w]
		of.logits(r, k0, w)
		parallelRows(n, func(i0, i1 int) {
			for i := i0; i < i1; i++ {
				row := r[i*w : (i+1)*w]
				y := labels[i] - k0
				if !of.ce {
					if y >= 0 && y < w {
						row[y]--
					}
					for _, v := range row {
						rows[i] += v * v
					}
					continue
				}
				for k, v := range row {
					row[k] = math.Exp(v - st.lse[i])
				}
				if y >= 0 && y < w {
					if labels[i] == st.top[i] {
						row[y] = -st.q[i] // p_y − 1 without cancellation
					} else {
						row[y]--
					}
				}
			}
		})
		if dst != nil {
			gemm(blas.Trans, blas.NoTrans, 1/float64(n), general(n, w, r), general(n, d, of.feat), 0, general(w, d, dst[k0*d:(k0+w)*d]))
		}
	}
	if !of.ce {
		total = sum(rows) / 2
	}
	return total / float64(n), dst
}

func dot(a, b []float64) float64 {
	var s float64
	for i, v := range a {
		s += v * b[i]
	}
	return s
}

// streamAccuracy is Accuracy from the streamed top classes.
func (p *Problem) streamAccuracy() float64 {
	q, of, err := p.linear()
	if err != nil {
		panic(err.Error())
	}
	of.ce = false // the top class alone
	panel := min(hvpPanel, of.c)
	st := of.classStats(panel, make([]float64, of.n*panel))
	var hits int
	for i, y := range q.labels {
		if st.top[i] == y {
			hits++
		}
	}
	return float64(hits) / float64(of.n)
}

// streamBlocks returns a function computing single blocks H_ab of a linear
// problem from the streamed normalizers, computed once: the block is
// (1/N) Σ_n A_n[a,b] x_n x_nᵀ (x with its 1 for a bias), with A_n[a,a] =
// p_a (1 − p_a) (1 − p_a = q_n at the top class) and A_n[a,b] = −p_a p_b
// for CE, A_n = I for MSE; the columns p_a come from one logit each.
func (p *Problem) streamBlocks() (func(a, b int) (*mat.Dense, error), error) {
	q, of, err := p.linear()
	if err != nil {
		return nil, err
	}
	n, d, c := of.n, of.f, of.c
	var st classStats
	if of.ce {
		panel := min(hvpPanel, c)
		st = of.classStats(panel, make([]float64, n*panel))
	}
	column := func(k int) []float64 {
		col := make([]float64, n)
		for i := range col {
			col[i] = math.Exp(dot(of.feat[i*d:(i+1)*d], of.wout[k*d:(k+1)*d]) - st.lse[i])
		}
		return col
	}
	return func(a, b int) (*mat.Dense, error) {
		fam := &family{n: n, fa: of.feat, fb: of.feat, da: d, db: d, na: c, nb: c, sym: true, diagOnly: !of.ce}
		cols := map[int][]float64{}
		if of.ce {
			cols[a] = column(a)
			if b != a {
				cols[b] = column(b)
			}
		}
		fam.coef = func(s, k, l0 int, dst []float64) {
			for j := range dst {
				l := l0 + j
				switch {
				case !of.ce && k == l:
					dst[j] = 1
				case !of.ce:
					dst[j] = 0
				case k == l && k == st.top[s]:
					dst[j] = cols[k][s] * st.q[s]
				case k == l:
					dst[j] = cols[k][s] * (1 - cols[k][s])
				default:
					dst[j] = -cols[k][s] * cols[l][s]
				}
			}
		}
		return q.blockOf([]*family{fam}, a, b)
	}, nil
}
