#!/usr/bin/env python3
"""The numpy/OpenBLAS peer of `hessblock inspect -model linear -loss ce` on
the structured path (H never formed), timed as a command.

    apt-get install -y python3-numpy python3-scipy libopenblas0-pthread
    OPENBLAS_NUM_THREADS=2 /usr/bin/python3 bench/peer/inspect_structured_numpy.py -C 20000 -d 64 -N 512

The Gram identities an expert would write: with K = (XXᵀ)∘(XXᵀ) and
p_n = softmax(W x_n), ‖H‖_F² = Σ K∘(PPᵀ − P(P∘P)ᵀ − (P∘P)Pᵀ + (PPᵀ)∘(PPᵀ))/N²
and the diagonal blocks' Σ_k‖H_kk‖² = Σ K∘(QQᵀ)/N², Q = P∘(1−P): R, ρ and
‖H‖_F in O(N²·C); λmax by scipy's eigsh (tol 1e−10) on the matrix-free
H·v = (1/N) Xᵀ A (X V); the spectra of H_00 and H_01 from single blocks.
`-check` also forms the dense H at the given (small) sizes and prints the
relative differences of R, ρ and ‖H‖_F, to show the identities are right.
"""
import time

import numpy as np
from scipy.sparse.linalg import LinearOperator, eigsh

from inspect_numpy import block_stats, dense_hessian, draw, parse, probabilities


def main():
    a = parse(20000, 64, 512, extra=("-check",))
    C, d, N = a.C, a.d, a.N
    X, W = draw(a)
    t0 = time.perf_counter()
    P = probabilities(X, W)
    G = X @ X.T
    K = G * G
    S1 = P @ P.T
    P2 = P * P
    S2 = P @ P2.T
    Q = P - P2
    del P2
    total = (K * (S1 - S2 - S2.T + S1 * S1)).sum() / N**2
    diag = (K * (Q @ Q.T)).sum() / N**2
    off = total - diag
    R = np.sqrt((off / (C * (C - 1))) / (diag / C))
    rho = off / total

    def matvec(v):
        V = v.reshape(C, d)
        Zv = X @ V.T
        S = P * Zv
        S -= P * S.sum(axis=1, keepdims=True)
        return (S.T @ X).ravel() / N

    op = LinearOperator((C * d, C * d), matvec=matvec, dtype=np.float64)
    lmax = eigsh(op, k=1, which="LA", tol=1e-10, return_eigenvectors=False)[0]
    e00 = np.linalg.eigvalsh((X.T * Q[:, 0]) @ X / N)
    e01 = np.linalg.eigvalsh(-(X.T * (P[:, 0] * P[:, 1])) @ X / N)
    t1 = time.perf_counter()
    print(f"P = {C * d}: R {R:.6g}, rho {rho:.6g}, |H|_F {np.sqrt(total):.6g}, lambda_max {lmax:.6g}, "
          f"H00 [{e00[0]:.4g}, {e00[-1]:.4g}], H01 [{e01[0]:.4g}, {e01[-1]:.4g}]; compute {t1 - t0:.3f} s")
    if a.check:
        H = dense_hessian(X, P)
        Rd, rhod, td = block_stats(H, C, d)
        print(f"check against the dense H: R {abs(R - Rd) / Rd:.1e}, rho {abs(rho - rhod) / rhod:.1e}, "
              f"|H|_F {abs(np.sqrt(total) - np.sqrt(td)) / np.sqrt(td):.1e}, lambda_max {abs(lmax - np.linalg.eigvalsh(H)[-1]) / lmax:.1e}")


if __name__ == "__main__":
    main()
