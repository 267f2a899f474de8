package numerics

import (
	"runtime"
	"sync"

	"gonum.org/v1/gonum/blas"
)

// MLP hidden–output: H_{w_i v_l} = (1/N) Σ_n x_n y_nᵀ with
// y_n = a_n h_n + b_n e_i, a_n = φ'_ni (A_nV)_{li}, b_n = r_nl φ'_ni, so
//
//	‖H_il‖² = (1/N²) [ aᵀ (Gx⊙Gh) a + 2 (a⊙h_{·i})ᵀ Gx b + bᵀ Gx b ].
//
// Summed over l, the first term is ⟨Gx⊙Gh, F_i F_iᵀ⟩ with F_i[n,l] = a_n (a
// symmetric rank-C update per hidden unit, over the samples with φ'_ni ≠ 0
// only: a quarter of the work for ReLU), the second 2⟨Xᵀ diag(h_i) F_i,
// Xᵀ diag(φ'_i) R⟩ (Gx has rank d, so go through X), the third
// ⟨Gx ⊙ φ'_iφ'_iᵀ, R Rᵀ⟩ with R Rᵀ shared by all i. Cost, with N_i the
// samples where φ'_ni ≠ 0: Σ_i (N_i²·C/2 + 2·N_i·d·C) + N²·C/2. For MSE
// A = I and the first two terms reduce to O(N²) per unit.

// crossFamilySum returns Σ_{i,l} ‖H_{w_i v_l}‖_F².
func (p *Problem) crossFamilySum(f *forward, gx []float64) float64 {
	n, d, c, m := f.n, f.d, f.c, f.m
	inv2 := 1 / (float64(n) * float64(n))
	// Third term: ⟨Gx ⊙ φ'_iφ'_iᵀ, R Rᵀ⟩ for every i, with Gx⊙RRᵀ shared.
	rr := make([]float64, n*n)
	syrkUpper(rr, n, f.r, c, c, 0)
	symmetrizeSquare(rr, n, func(v float64) float64 { return v })
	gxrr := make([]float64, n*n)
	gxgh := make([]float64, n*n) // Gx ⊙ Gh
	gh := make([]float64, n*n)
	syrkUpper(gh, n, f.h, m, m, 0)
	symmetrizeSquare(gh, n, func(v float64) float64 { return v })
	for i := range gx {
		gxrr[i] = gx[i] * rr[i]
		gxgh[i] = gx[i] * gh[i]
	}
	gh, rr = nil, nil
	v := p.v.RawMatrix().Data
	vcol := func(i int) []float64 {
		col := make([]float64, c)
		for k := range col {
			col[k] = v[k*m+i]
		}
		return col
	}

	units := make(chan int)
	// Per-unit results are summed in index order after the workers finish,
	// so the total does not depend on goroutine scheduling.
	perUnit := make([]float64, m)
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var fbuf, rbuf, ubuf, gram []float64
			var xa, yf, yr []float64
			for i := range units {
				dphi := make([]float64, n)
				var act []int
				for s := 0; s < n; s++ {
					dphi[s] = f.dphi[s*m+i]
					if dphi[s] != 0 {
						act = append(act, s)
					}
				}
				na := len(act)
				// Third term.
				var s3 float64
				for _, s := range act {
					row := gxrr[s*n : (s+1)*n]
					var r float64
					for _, t := range act {
						r += row[t] * dphi[t]
					}
					s3 += dphi[s] * r
				}
				if na == 0 {
					continue
				}
				vi := vcol(i)
				var s1, s2 float64
				if f.p == nil {
					// MSE: (A_nV)_{li} = V_li, so F_i F_iᵀ = ‖v^i‖² φ'φ'ᵀ and
					// Σ_l F[n,l] R[n',l] = φ'_ni (R V)_{n'i}.
					var vv float64
					for _, x := range vi {
						vv += x * x
					}
					for _, s := range act {
						row := gxgh[s*n : (s+1)*n]
						rowx := gx[s*n : (s+1)*n]
						var r1, r2 float64
						for _, t := range act {
							r1 += row[t] * dphi[t]
							r2 += rowx[t] * dphi[t] * f.vtr[t*m+i]
						}
						s1 += vv * dphi[s] * r1
						s2 += 2 * dphi[s] * f.h[s*m+i] * r2
					}
				} else {
					// F[n,l] = φ'_ni p_nl (V_li − g_ni), over active rows.
					if cap(fbuf) < na*c {
						fbuf = make([]float64, na*c)
						rbuf = make([]float64, na*c)
						ubuf = make([]float64, na*c)
						xa = make([]float64, na*d)
					}
					fm, rm, um, xm := fbuf[:na*c], rbuf[:na*c], ubuf[:na*c], xa[:na*d]
					for r, s := range act {
						ps := f.p[s*c : (s+1)*c]
						rs := f.r[s*c : (s+1)*c]
						// V_ki − g_i centred at the top class (see hid.coef).
						ub, vt := f.vbar[s*m+i], vi[f.top[s]]
						ph := dphi[s]
						hi := f.h[s*m+i]
						fr, rr, ur := fm[r*c:(r+1)*c], rm[r*c:(r+1)*c], um[r*c:(r+1)*c]
						for k, pk := range ps {
							a := ph * pk * ((vi[k] - vt) - ub)
							fr[k] = a
							ur[k] = a * hi
							rr[k] = rs[k] * ph
						}
						copy(xm[r*d:(r+1)*d], f.x[s*d:(s+1)*d])
					}
					if cap(gram) < na*na {
						gram = make([]float64, na*na)
					}
					gm := gram[:na*na]
					syrkUpper(gm, na, fm, c, c, 0)
					for r, s := range act {
						row := gxgh[s*n : (s+1)*n]
						s1 += row[s] * gm[r*na+r]
						var acc float64
						for q := r + 1; q < na; q++ {
							acc += row[act[q]] * gm[r*na+q]
						}
						s1 += 2 * acc
					}
					// Second term: 2⟨Xᵀ U, Xᵀ Rφ⟩ over the active rows.
					if cap(yf) < d*c {
						yf = make([]float64, d*c)
						yr = make([]float64, d*c)
					}
					yu, yrr := yf[:d*c], yr[:d*c]
					gemm(blas.Trans, blas.NoTrans, 1, general(na, d, xm), general(na, c, um), 0, general(d, c, yu))
					gemm(blas.Trans, blas.NoTrans, 1, general(na, d, xm), general(na, c, rm), 0, general(d, c, yrr))
					var dot float64
					for k, a := range yu {
						dot += a * yrr[k]
					}
					s2 = 2 * dot
				}
				perUnit[i] = s1 + s2 + s3
			}
		}()
	}
	for i := 0; i < m; i++ {
		units <- i
	}
	close(units)
	wg.Wait()
	var total float64
	for _, v := range perUnit {
		total += v
	}
	return total * inv2
}

// crossPairSq returns ‖H_{w_i v_l}‖_F².
func (p *Problem) crossPairSq(f *forward, gx []float64, i, l int) float64 {
	n, c, m := f.n, f.c, f.m
	v := p.v.RawMatrix().Data
	a := make([]float64, n)  // φ'_ni (A_nV)_{li}
	ah := make([]float64, n) // a ⊙ h_{·i}
	b := make([]float64, n)  // r_nl φ'_ni
	for s := 0; s < n; s++ {
		ph := f.dphi[s*m+i]
		av := v[l*m+i]
		if f.p != nil {
			av = f.p[s*c+l] * ((v[l*m+i] - v[f.top[s]*m+i]) - f.vbar[s*m+i])
		}
		a[s] = ph * av
		ah[s] = a[s] * f.h[s*m+i]
		b[s] = f.r[s*c+l] * ph
	}
	gxgh := make([]float64, n*n)
	gh := make([]float64, n*n)
	syrkUpper(gh, n, f.h, m, m, 0)
	symmetrizeSquare(gh, n, func(v float64) float64 { return v })
	for k := range gx {
		gxgh[k] = gx[k] * gh[k]
	}
	s := quadForm(gxgh, a, a, n) + 2*quadForm(gx, ah, b, n) + quadForm(gx, b, b, n)
	return s / (float64(n) * float64(n))
}
