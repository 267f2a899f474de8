#!/usr/bin/env python3
"""PyTorch cross-check of hessblock's deep-network Hessian.

Reads a network and a data batch from a .npz (np.savez) or .safetensors
file — arrays W1, b1, ..., WL, bL (any bias may be absent), X (N x d) and
y (N integer labels) — builds

    f(x) = W_L phi(W_{L-1} phi(... phi(W_1 x + b_1) ...) + b_{L-1}) + b_L

in float64, and computes torch.autograd.functional.hessian of the mean loss
(MSE 1/2 ||z - e_y||^2 or softmax cross-entropy) with respect to theta in
hessblock's order: layer by layer, inside a layer neuron by neuron, each
neuron's weight row W_l[i, :] followed by its bias b_l[i] when present.

    torch_deep_check.py MODEL [--activation A] [--loss L] [--hessian H.npy]
                        [--tol 1e-10] [--write-stats S.json] [--write-hessian H.npy]

--hessian compares with a Hessian in the same order (max |diff| / max |H_torch|),
prints one JSON line and exits 1 when the relative difference exceeds --tol.
--write-stats writes R per family, rho, ||H||_F and lambda_max(H) computed in
numpy from the torch Hessian with the definitions of THEORY.md section 4.0
(one block per neuron; families output-output for L = 1, hidden-hidden /
output-output / hidden-output for L = 2, "L1-L1", "L1-L2", ... for L >= 3;
cross-layer families normalized by the geometric mean of the two layers'
mean squared diagonal-block norms; a one-neuron layer has no R with itself).
--activation and --loss default to the safetensors file's __metadata__
(required for .npz). Before anything else the gradient of the theta-unpacking
loss is checked against the gradient of the same network built as an
nn.Sequential (exit 1 above 1e-12 relative). Exit status 2 on bad input.

Needs numpy and torch (Debian: apt-get install python3-torch, then run with
/usr/bin/python3).
"""
import argparse
import json
import math
import re
import struct
import sys

import numpy as np
import torch

ACTIVATIONS = ("identity", "relu", "tanh", "gelu")
LOSSES = ("mse", "ce")


def fail(msg):
    print("torch_deep_check: " + msg, file=sys.stderr)
    sys.exit(2)


def read_safetensors(path):
    """Returns ({name: array}, metadata) of a safetensors file."""
    dtypes = {"F64": "<f8", "F32": "<f4", "I64": "<i8", "I32": "<i4"}
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        fail(f"{path}: too short for a safetensors file")
    (n,) = struct.unpack("<Q", raw[:8])
    if 8 + n > len(raw):
        fail(f"{path}: header length {n} beyond the file")
    header = json.loads(raw[8:8 + n])
    meta = header.pop("__metadata__", {}) or {}
    data = raw[8 + n:]
    arrays = {}
    for name, t in header.items():
        if t["dtype"] not in dtypes:
            fail(f"{path}: tensor {name} has unsupported dtype {t['dtype']}")
        lo, hi = t["data_offsets"]
        arrays[name] = np.frombuffer(data[lo:hi], dtype=dtypes[t["dtype"]]).reshape(t["shape"]).copy()
    return arrays, meta


def read_model(path):
    if path.endswith(".safetensors"):
        return read_safetensors(path)
    with np.load(path, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}, {}


def layers_of(arrays):
    """Returns [(W, b or None)] in layer order, checked for shape."""
    ls = sorted(int(m.group(1)) for k in arrays if (m := re.fullmatch(r"W(\d+)", k)))
    if not ls or ls != list(range(1, len(ls) + 1)):
        fail(f"weights must be W1..WL, got {sorted(arrays)}")
    out, width = [], None
    for l in ls:
        w = np.asarray(arrays[f"W{l}"], dtype=np.float64)
        if w.ndim != 2 or (width is not None and w.shape[1] != width):
            fail(f"W{l} has shape {w.shape}, want out x {width}")
        b = arrays.get(f"b{l}")
        if b is not None:
            b = np.asarray(b, dtype=np.float64)
            if b.shape != (w.shape[0],):
                fail(f"b{l} has shape {b.shape}, want ({w.shape[0]},)")
        out.append((w, b))
        width = w.shape[0]
    return out


def theta_of(layers):
    parts = []
    for w, b in layers:
        blk = w if b is None else np.concatenate([w, b[:, None]], axis=1)
        parts.append(blk.reshape(-1))
    return np.concatenate(parts)


def blocks_of(layers):
    """(layer, start, size) of each neuron's block, in theta order."""
    bs, start = [], 0
    for l, (w, b) in enumerate(layers):
        size = w.shape[1] + (b is not None)
        for _ in range(w.shape[0]):
            bs.append((l, start, size))
            start += size
    return bs


def loss_fn(layers, x, y, activation, loss):
    phi = {"identity": lambda u: u, "relu": torch.relu, "tanh": torch.tanh,
           "gelu": lambda u: torch.nn.functional.gelu(u)}[activation]  # exact erf GELU
    shapes = [(w.shape[0], w.shape[1], b is not None) for w, b in layers]
    c = shapes[-1][0]

    def f(theta):
        h, off = x, 0
        for l, (out, inp, bias) in enumerate(shapes):
            s = inp + bias
            blk = theta[off:off + out * s].reshape(out, s)
            off += out * s
            h = h @ blk[:, :inp].T
            if bias:
                h = h + blk[:, inp]
            if l < len(shapes) - 1:
                h = phi(h)
        if loss == "ce":
            return torch.nn.functional.cross_entropy(h, y)
        e = torch.nn.functional.one_hot(y, c).to(h.dtype)
        return 0.5 * ((h - e) ** 2).sum(dim=1).mean()

    return f


def module_gradient_error(layers, x, y, activation, loss, theta, f):
    """Relative difference between the gradient of f at theta and that of
    the same network built as an nn.Sequential, arranged by the theta rule
    (weight row, then bias): checks the unpacking of theta independently."""
    act = {"identity": torch.nn.Identity, "relu": torch.nn.ReLU, "tanh": torch.nn.Tanh,
           "gelu": torch.nn.GELU}[activation]
    mods = []
    for l, (w, b) in enumerate(layers):
        if l > 0:
            mods.append(act())
        lin = torch.nn.Linear(w.shape[1], w.shape[0], bias=b is not None, dtype=torch.float64)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(w))
            if b is not None:
                lin.bias.copy_(torch.from_numpy(b))
        mods.append(lin)
    z = torch.nn.Sequential(*mods)(x)
    if loss == "ce":
        value = torch.nn.functional.cross_entropy(z, y)
    else:
        value = 0.5 * ((z - torch.nn.functional.one_hot(y, z.shape[1]).to(z.dtype)) ** 2).sum(dim=1).mean()
    value.backward()
    parts = []
    for m in mods:
        if isinstance(m, torch.nn.Linear):
            g = m.weight.grad if m.bias is None else torch.cat([m.weight.grad, m.bias.grad[:, None]], dim=1)
            parts.append(g.reshape(-1))
    g_module = torch.cat(parts)
    g_theta = torch.autograd.functional.jacobian(f, theta)
    scale = g_module.abs().max().item()
    return (g_module - g_theta).abs().max().item() / (scale if scale > 0 else 1.0)


def family(nlayers, p, q):
    if nlayers == 1:
        return "output-output"
    if nlayers == 2:
        return ["hidden-hidden", "hidden-output", None, "output-output"][2 * p + q]
    return f"L{p + 1}-L{q + 1}"


def block_stats(h, layers):
    bs = blocks_of(layers)
    nl = len(layers)
    sizes = np.array([z for _, _, z in bs])
    layer = np.array([l for l, _, _ in bs])
    # ||H_ab||_F^2 for every pair of blocks: sum the squared entries over
    # the rows of block a and the columns of block b.
    idx = np.repeat(np.arange(len(bs)), sizes)
    sq = h ** 2
    fro = np.zeros((len(bs), len(bs)))
    np.add.at(fro, (idx[:, None], idx[None, :]), sq)
    total = fro.sum()
    if total == 0:
        fail("rho undefined (H = 0)")
    diag = np.diag(fro)
    off = fro - np.diag(diag)
    stats = {"R": {}, "rho": float(off.sum() / total), "frobenius": float(math.sqrt(total)),
             "lambda_max": float(np.linalg.eigvalsh(h)[-1])}
    for p in range(nl):
        for q in range(p, nl):
            a, b = layer == p, layer == q
            na, nb = int(a.sum()), int(b.sum())
            pairs = na * (na - 1) if p == q else na * nb
            if pairs == 0:
                continue
            mean_off = off[np.ix_(a, b)].sum() / pairs
            mean_diag = math.sqrt(diag[a].mean()) * math.sqrt(diag[b].mean())
            if mean_diag == 0:
                fail(f"R of {family(nl, p, q)} undefined (its diagonal blocks are 0)")
            stats["R"][family(nl, p, q)] = float(math.sqrt(mean_off / mean_diag))
    return stats


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model", help=".npz or .safetensors with W1,b1,...,WL,bL,X,y")
    ap.add_argument("--activation", choices=ACTIVATIONS)
    ap.add_argument("--loss", choices=LOSSES)
    ap.add_argument("--hessian", help="hessian.npy to compare with (theta order above)")
    ap.add_argument("--tol", type=float, default=1e-10, help="max |diff| / max |H_torch| allowed (default 1e-10)")
    ap.add_argument("--write-stats", metavar="FILE", help="write R per family, rho, ||H||_F, lambda_max as JSON")
    ap.add_argument("--write-hessian", metavar="FILE", help="write the torch Hessian as .npy")
    args = ap.parse_args()

    arrays, meta = read_model(args.model)
    activation = args.activation or meta.get("activation")
    loss = args.loss or meta.get("loss")
    if activation not in ACTIVATIONS or loss not in LOSSES:
        fail(f"need --activation in {ACTIVATIONS} and --loss in {LOSSES} (got {activation!r}, {loss!r})")
    for k in ("X", "y"):
        if k not in arrays:
            fail(f"{args.model}: no array {k}")
    layers = layers_of(arrays)
    x = np.asarray(arrays["X"], dtype=np.float64)
    y = np.asarray(arrays["y"])
    if x.ndim != 2 or x.shape[1] != layers[0][0].shape[1] or y.shape != (x.shape[0],):
        fail(f"X {x.shape} and y {y.shape} do not fit W1 {layers[0][0].shape}")
    c = layers[-1][0].shape[0]
    if not np.issubdtype(y.dtype, np.integer) or y.min() < 0 or y.max() >= c:
        fail(f"labels must be integers in [0, {c})")

    torch.set_num_threads(2)
    f = loss_fn(layers, torch.from_numpy(x), torch.from_numpy(y.astype(np.int64)), activation, loss)
    theta = torch.from_numpy(theta_of(layers))
    h = torch.autograd.functional.hessian(f, theta).numpy()
    if not np.all(np.isfinite(h)):
        print("torch_deep_check: the torch Hessian is not finite", file=sys.stderr)
        sys.exit(1)
    gerr = module_gradient_error(layers, torch.from_numpy(x), torch.from_numpy(y.astype(np.int64)),
                                 activation, loss, theta, f)
    if gerr > 1e-12:
        print(f"torch_deep_check: theta order disagrees with nn.Sequential's gradient ({gerr:.1e})", file=sys.stderr)
        sys.exit(1)

    if args.write_hessian:
        np.save(args.write_hessian, h)
    if args.write_stats:
        s = block_stats(h, layers)
        s.update({"dims": [layers[0][0].shape[1]] + [w.shape[0] for w, _ in layers],
                  "bias": [b is not None for _, b in layers], "activation": activation, "loss": loss,
                  "N": int(x.shape[0]), "P": int(h.shape[0]), "loss_value": float(f(theta)),
                  "source": "torch.autograd.functional.hessian, torch " + torch.__version__})
        with open(args.write_stats, "w") as out:
            json.dump(s, out, indent=1, sort_keys=True)
            out.write("\n")
    if args.hessian:
        ref = np.load(args.hessian)
        if ref.shape != h.shape:
            fail(f"{args.hessian} is {ref.shape}, the model has P = {h.shape[0]}")
        diff, scale = float(np.abs(ref - h).max()), float(np.abs(h).max())
        rel = diff / scale if scale > 0 else diff
        print(json.dumps({"P": h.shape[0], "max_abs_diff": diff, "max_abs": scale, "relative": rel,
                          "tol": args.tol, "ok": rel <= args.tol, "module_grad_relative": gerr}))
        if not rel <= args.tol:
            sys.exit(1)
    elif not args.write_stats and not args.write_hessian:
        print(json.dumps({"P": h.shape[0], "max_abs": float(np.abs(h).max()), "loss": float(f(theta)),
                          "module_grad_relative": gerr}))


if __name__ == "__main__":
    main()
