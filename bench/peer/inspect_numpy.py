#!/usr/bin/env python3
"""The numpy/OpenBLAS peer of `hessblock inspect -model linear -loss ce`
(dense path): the closed form an expert would write, timed as a command.

    apt-get install -y python3-numpy python3-scipy libopenblas0-pthread
    OPENBLAS_NUM_THREADS=2 /usr/bin/python3 bench/peer/inspect_numpy.py -C 40 -d 100 -N 500

It draws X ~ N(0, I_d) (N×d), uniform labels and W ~ N(0, σ²/d) (C×d) —
hessblock's distribution, not its random stream — and computes what
inspect prints: the dense Hessian H = (1/N) Σ_n A_n ⊗ x_n x_nᵀ with
A_n = diag(p_n) − p_n p_nᵀ as one GEMM (−UᵀU/N, U_n = p_n ⊗ x_n) plus the
diagonal blocks Xᵀdiag(p_k)X/N, R of the output family, ρ, ‖H‖_F and λmax
(scipy's eigsh, tol 1e−10), and the extreme eigenvalues of H_00 and H_01.
Prints the statistics and the compute time (import and start-up excluded).
"""
import argparse
import time

import numpy as np
from scipy.sparse.linalg import eigsh


def parse(C, d, N, extra=()):
    """The command's flags, with the given default sizes."""
    ap = argparse.ArgumentParser()
    ap.add_argument("-C", type=int, default=C)
    ap.add_argument("-d", type=int, default=d)
    ap.add_argument("-N", type=int, default=N)
    ap.add_argument("-sigma", type=float, default=1.0)
    ap.add_argument("-seed", type=int, default=1)
    for flag in extra:
        ap.add_argument(flag, action="store_true")
    return ap.parse_args()


def draw(a):
    """X ~ N(0, I_d) (N×d) and W ~ N(0, σ²/d) (C×d)."""
    rng = np.random.default_rng(a.seed)
    X = rng.standard_normal((a.N, a.d))
    W = rng.standard_normal((a.C, a.d)) * (a.sigma / np.sqrt(a.d))
    return X, W


def probabilities(X, W):
    """softmax(W x_n) for every sample, N×C."""
    Z = X @ W.T
    Z -= Z.max(axis=1, keepdims=True)
    P = np.exp(Z)
    P /= P.sum(axis=1, keepdims=True)
    return P


def dense_hessian(X, P):
    """H = (1/N) Σ_n A_n ⊗ x_n x_nᵀ: one GEMM −UᵀU/N plus the diagonal blocks."""
    N, d = X.shape
    C = P.shape[1]
    U = (P[:, :, None] * X[:, None, :]).reshape(N, C * d)
    H = -(U.T @ U) / N
    for k in range(C):
        H[k * d:(k + 1) * d, k * d:(k + 1) * d] += (X.T * P[:, k]) @ X / N
    return H


def block_stats(H, C, d):
    """R of the output family, ρ and ‖H‖_F² from the C×C block norms."""
    B = (H.reshape(C, d, C, d) ** 2).sum(axis=(1, 3))
    total, diag = B.sum(), np.trace(B)
    off = total - diag
    return np.sqrt((off / (C * (C - 1))) / (diag / C)), off / total, total


def main():
    a = parse(20, 100, 500)
    C, d = a.C, a.d
    X, W = draw(a)
    t0 = time.perf_counter()
    H = dense_hessian(X, probabilities(X, W))
    R, rho, total = block_stats(H, C, d)
    lmax = eigsh(H, k=1, which="LA", tol=1e-10, return_eigenvectors=False)[0]
    e00 = np.linalg.eigvalsh(H[:d, :d])
    e01 = np.linalg.eigvalsh(H[:d, d:2 * d])
    t1 = time.perf_counter()
    print(f"P = {C * d}: R {R:.6g}, rho {rho:.6g}, |H|_F {np.sqrt(total):.6g}, "
          f"lambda_max {lmax:.6g}, H00 [{e00[0]:.4g}, {e00[-1]:.4g}], H01 [{e01[0]:.4g}, {e01[-1]:.4g}]; "
          f"compute {t1 - t0:.3f} s")


if __name__ == "__main__":
    main()
