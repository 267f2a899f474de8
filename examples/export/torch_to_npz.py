#!/usr/bin/env python3
"""Export a PyTorch MLP and a data batch in hessblock's deep-network format.

The model is an nn.Sequential of nn.Linear layers with one activation
between consecutive layers — nn.ReLU, nn.Tanh, nn.GELU (approximate='none')
or nn.Identity (or nothing), the same one everywhere — so that

    f(x) = W_L phi(W_{L-1} phi(... phi(W_1 x + b_1) ...) + b_{L-1}) + b_L.

The file holds float64 arrays W1, b1, ..., WL, bL (W_l is out x in, as
nn.Linear.weight; b_l is left out for a layer without bias), X (N x d, one
sample per row) and y (N int64 labels in [0, C)). The .npz is np.savez
(uncompressed); the optional .safetensors holds the same tensors plus
__metadata__ {"activation": ..., "loss": ...}, written by hand (the
safetensors package is not needed).

As a library:

    from torch_to_npz import export
    export(model, X, y, "model.npz", loss="ce", safetensors_path="model.safetensors")

From the command line it draws a seeded network and batch (torch's default
nn.Linear initialization, X ~ N(0, 1), uniform labels) and exports it:

    torch_to_npz.py --dims 6,5,4,3 --activation tanh --loss ce --n 20 --seed 1 \\
        --out mlp.npz --safetensors mlp.safetensors
"""
import argparse
import json
import struct

import numpy as np
import torch
from torch import nn

ACTIVATIONS = {nn.ReLU: "relu", nn.Tanh: "tanh", nn.GELU: "gelu", nn.Identity: "identity"}


def activation_of(model):
    """Checks model is Linear (act Linear)* with one activation; returns its name."""
    mods = list(model)
    if not mods or not isinstance(mods[0], nn.Linear) or not isinstance(mods[-1], nn.Linear):
        raise ValueError("the model must start and end with nn.Linear")
    names, prev_linear = set(), True
    for m in mods[1:]:
        if isinstance(m, nn.Linear):
            if prev_linear:
                names.add("identity")  # two Linear layers in a row
            prev_linear = True
            continue
        if not prev_linear:
            raise ValueError("two activations in a row")
        if type(m) not in ACTIVATIONS:
            raise ValueError(f"unsupported module {m!r} (want ReLU, Tanh, GELU or Identity)")
        if isinstance(m, nn.GELU) and m.approximate != "none":
            raise ValueError("GELU must be the exact one (approximate='none')")
        names.add(ACTIVATIONS[type(m)])
        prev_linear = False
    if len(names) > 1:
        raise ValueError(f"one activation for every layer, got {sorted(names)}")
    return names.pop() if names else "identity"


def arrays_of(model, x, y):
    linears = [m for m in model if isinstance(m, nn.Linear)]
    out = {}
    for l, lin in enumerate(linears, 1):
        out[f"W{l}"] = lin.weight.detach().to(torch.float64).cpu().numpy()
        if lin.bias is not None:
            out[f"b{l}"] = lin.bias.detach().to(torch.float64).cpu().numpy()
    x = torch.as_tensor(x).detach().to(torch.float64).cpu().numpy()
    y = torch.as_tensor(y).detach().to(torch.int64).cpu().numpy()
    c = linears[-1].out_features
    if x.ndim != 2 or x.shape[1] != linears[0].in_features or y.shape != (x.shape[0],):
        raise ValueError(f"X {x.shape} and y {y.shape} do not fit the model's {linears[0].in_features} inputs")
    if y.min() < 0 or y.max() >= c:
        raise ValueError(f"labels must lie in [0, {c})")
    out["X"], out["y"] = x, y
    return out


def write_safetensors(path, arrays, metadata):
    """The safetensors format: u64 LE header length, JSON header, raw LE data."""
    dtypes = {np.dtype("<f8"): "F64", np.dtype("<i8"): "I64"}
    header, blobs, off = {"__metadata__": metadata}, [], 0
    for name, a in arrays.items():
        a = np.ascontiguousarray(a, dtype=a.dtype.newbyteorder("<"))
        raw = a.tobytes()
        header[name] = {"dtype": dtypes[a.dtype], "shape": list(a.shape), "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)  # the data starts 8-byte aligned
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for raw in blobs:
            f.write(raw)


def export(model, x, y, npz_path, loss, safetensors_path=None):
    """Writes model (nn.Sequential) and the batch (x, y) to npz_path and,
    if given, safetensors_path; returns the activation's name."""
    if loss not in ("mse", "ce"):
        raise ValueError(f"loss must be 'mse' or 'ce', got {loss!r}")
    act = activation_of(model)
    arrays = arrays_of(model, x, y)
    np.savez(npz_path, **arrays)
    if safetensors_path:
        write_safetensors(safetensors_path, arrays, {"activation": act, "loss": loss})
    return act


def main():
    ap = argparse.ArgumentParser(description="draw a seeded MLP and batch and export them")
    ap.add_argument("--dims", default="6,5,4,3", help="d, widths..., C (default 6,5,4,3)")
    ap.add_argument("--activation", default="tanh", choices=["identity", "relu", "tanh", "gelu"])
    ap.add_argument("--loss", default="ce", choices=["mse", "ce"])
    ap.add_argument("--n", type=int, default=20, help="samples N")
    ap.add_argument("--no-bias", action="store_true", help="layers without bias")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", required=True, help=".npz to write")
    ap.add_argument("--safetensors", help=".safetensors to write as well")
    args = ap.parse_args()

    dims = [int(v) for v in args.dims.split(",")]
    if len(dims) < 2 or min(dims) < 1 or args.n < 1:
        ap.error("--dims needs at least d and C, all positive, and --n must be positive")
    torch.manual_seed(args.seed)
    act = {"identity": nn.Identity, "relu": nn.ReLU, "tanh": nn.Tanh, "gelu": nn.GELU}[args.activation]
    mods = []
    for l in range(len(dims) - 1):
        if l > 0:
            mods.append(act())
        mods.append(nn.Linear(dims[l], dims[l + 1], bias=not args.no_bias, dtype=torch.float64))
    model = nn.Sequential(*mods)
    x = torch.randn(args.n, dims[0], dtype=torch.float64)
    y = torch.randint(0, dims[-1], (args.n,))
    export(model, x, y, args.out, args.loss, args.safetensors)


if __name__ == "__main__":
    main()
