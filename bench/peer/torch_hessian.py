#!/usr/bin/env python3
"""The same dense Hessian and block statistics as bench/peer/main.go, by
PyTorch autograd (torch.autograd.functional.hessian, vectorized), in float64.

Usage: torch_hessian.py PREFIX C d N [reps]
Reads PREFIX-{x,y,w}.bin written by the Go side and prints one JSON line.
"""
import json
import sys
import time

import numpy as np
import torch


def main():
    prefix, c, d, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    reps = int(sys.argv[5]) if len(sys.argv) > 5 else 3
    torch.set_num_threads(2)
    x = torch.from_numpy(np.fromfile(prefix + "-x.bin", dtype="<f8").reshape(n, d))
    y = torch.from_numpy(np.fromfile(prefix + "-y.bin", dtype="<f8").astype(np.int64))
    w0 = torch.from_numpy(np.fromfile(prefix + "-w.bin", dtype="<f8"))

    def loss(theta):
        z = x @ theta.reshape(c, d).T
        return torch.nn.functional.cross_entropy(z, y)

    best, h = float("inf"), None
    for _ in range(reps):
        t0 = time.perf_counter()
        h = torch.autograd.functional.hessian(loss, w0, vectorize=True)
        # Block statistics: ‖H_kl‖_F² for every pair of d×d blocks.
        fro = (h.reshape(c, d, c, d) ** 2).sum(dim=(1, 3))
        total = fro.sum().item()
        rho = (total - fro.diagonal().sum().item()) / total
        best = min(best, time.perf_counter() - t0)
    print(json.dumps({"impl": "torch", "torch": torch.__version__, "P": c * d, "C": c, "d": d, "N": n,
                      "seconds": best, "rho": rho, "frobenius_sq": total}))


if __name__ == "__main__":
    main()
