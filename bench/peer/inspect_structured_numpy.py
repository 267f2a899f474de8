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
import argparse
import time

import numpy as np
from scipy.sparse.linalg import LinearOperator, eigsh


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-C", type=int, default=20000)
    ap.add_argument("-d", type=int, default=64)
    ap.add_argument("-N", type=int, default=512)
    ap.add_argument("-sigma", type=float, default=1.0)
    ap.add_argument("-seed", type=int, default=1)
    ap.add_argument("-check", action="store_true")
    a = ap.parse_args()
    C, d, N = a.C, a.d, a.N
    rng = np.random.default_rng(a.seed)
    X = rng.standard_normal((N, d))
    W = rng.standard_normal((C, d)) * (a.sigma / np.sqrt(d))
    t0 = time.perf_counter()
    Z = X @ W.T
    Z -= Z.max(axis=1, keepdims=True)
    P = np.exp(Z)
    P /= P.sum(axis=1, keepdims=True)
    del Z
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
        U = (P[:, :, None] * X[:, None, :]).reshape(N, C * d)
        H = -(U.T @ U) / N
        for k in range(C):
            H[k * d:(k + 1) * d, k * d:(k + 1) * d] += (X.T * P[:, k]) @ X / N
        B = (H.reshape(C, d, C, d) ** 2).sum(axis=(1, 3))
        dt, dd = B.sum(), np.trace(B)
        Rd = np.sqrt(((dt - dd) / (C * (C - 1))) / (dd / C))
        print(f"check against the dense H: R {abs(R - Rd) / Rd:.1e}, rho {abs(rho - (dt - dd) / dt) / ((dt - dd) / dt):.1e}, "
              f"|H|_F {abs(np.sqrt(total) - np.sqrt(dt)) / np.sqrt(dt):.1e}, lambda_max {abs(lmax - np.linalg.eigvalsh(H)[-1]) / lmax:.1e}")


if __name__ == "__main__":
    main()
