#!/usr/bin/env python3
"""DGEMM GFLOP/s of numpy's BLAS (OpenBLAS from Debian) at the sizes of
internal/gemm's BenchmarkDgemm, for the side-by-side in bench/README.md.

    apt-get install -y python3-numpy libopenblas0-pthread
    OPENBLAS_NUM_THREADS=2 /usr/bin/python3 bench/peer/gemm_numpy.py

Prints one line per shape: name, median GFLOP/s over REPS timed calls
(2mnk/t), best GFLOP/s. Not used by any test.
"""
import os
import sys
import time

import numpy as np

REPS = int(os.environ.get("REPS", "7"))

SHAPES = [  # name, m, n, k, gram (C = A·Aᵀ)
    ("sq128", 128, 128, 128, False),
    ("sq256", 256, 256, 256, False),
    ("sq512", 512, 512, 512, False),
    ("sq1024", 1024, 1024, 1024, False),
    ("NxdxC_512x128x1024", 512, 1024, 128, False),
    ("Gram_512x512x128", 512, 512, 128, True),
    ("Gram_1024x1024x128", 1024, 1024, 128, True),
]


def main():
    rng = np.random.default_rng(1)
    print("numpy", np.__version__, "OPENBLAS_NUM_THREADS=%s" % os.environ.get("OPENBLAS_NUM_THREADS"), file=sys.stderr)
    for name, m, n, k, gram in SHAPES:
        a = rng.standard_normal((m, k))
        b = a.T if gram else rng.standard_normal((k, n))
        c = np.empty((m, n))
        flops = 2.0 * m * n * k
        # Enough calls per timing for ~0.2 s.
        inner = max(1, int(0.2e9 * 20 / flops))
        np.matmul(a, b, out=c)
        rates = []
        for _ in range(REPS):
            t0 = time.perf_counter()
            for _ in range(inner):
                np.matmul(a, b, out=c)
            dt = (time.perf_counter() - t0) / inner
            rates.append(flops / dt / 1e9)
        rates.sort()
        print("%-20s median %6.1f GFLOP/s  best %6.1f" % (name, rates[len(rates) // 2], rates[-1]))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
