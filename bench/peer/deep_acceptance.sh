#!/bin/sh
# Acceptance check of `hessblock inspect -load` against PyTorch: for
# L = 1…4 weight layers × activation {relu, tanh, identity} × loss {mse, ce},
# biases on every layer, write a seeded .npz with NumPy (d = 5, hidden
# widths 4, C = 3, N = 12), measure it with
#     go run ./cmd/hessblock inspect -load F.npz -npy DIR
# and compare DIR/hessian.npy with torch.autograd's Hessian
# (bench/peer/torch_deep_check.py, max |ΔH| / max |H_torch| ≤ 1e−10).
# L = 1 has no activation: it is run once per loss. Prints a table of the
# relative differences and exits 1 if any case fails or errs.
#
# Run from the repository root: sh bench/peer/deep_acceptance.sh
# Needs /usr/bin/python3 with numpy and torch (Debian: python3-torch).
set -u
PY=${PYTHON:-/usr/bin/python3}
TOL=${TOL:-1e-10}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
printf '%-3s %-9s %-5s %5s  %-10s %s\n' L activation loss P relative ok
seed=0
for L in 1 2 3 4; do
	acts="relu tanh identity"
	[ "$L" = 1 ] && acts=identity
	for act in $acts; do
		for loss in mse ce; do
			seed=$((seed + 1))
			f="$tmp/L${L}_${act}_${loss}.npz"
			"$PY" - "$f" "$L" "$seed" <<'PYEOF' || { echo "writing $f failed"; fail=1; continue; }
import sys
import numpy as np
path, L, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = np.random.default_rng(seed)
dims = [5] + [4] * (L - 1) + [3]
arrays = {}
for l in range(1, L + 1):
    fan_in = dims[l - 1]
    arrays[f"W{l}"] = rng.standard_normal((dims[l], fan_in)) / np.sqrt(fan_in)
    arrays[f"b{l}"] = 0.5 * rng.standard_normal(dims[l])
arrays["X"] = rng.standard_normal((12, dims[0]))
arrays["y"] = rng.integers(0, dims[-1], size=12).astype(np.int64)
np.savez(path, **arrays)
PYEOF
			flags="-loss $loss"
			[ "$L" -gt 1 ] && flags="$flags -activation $act"
			out="$tmp/out_${L}_${act}_${loss}"
			# shellcheck disable=SC2086 # flags is a list of words
			if ! go run ./cmd/hessblock inspect -load "$f" $flags -npy "$out" >"$tmp/inspect.txt" 2>&1; then
				printf '%-3s %-9s %-5s %5s  %-10s %s\n' "$L" "$act" "$loss" - - "FAIL (inspect)"
				cat "$tmp/inspect.txt"
				fail=1
				continue
			fi
			line=$("$PY" bench/peer/torch_deep_check.py "$f" --activation "$act" --loss "$loss" \
				--hessian "$out/hessian.npy" --tol "$TOL" 2>&1)
			status=$?
			row=$(printf '%s' "$line" | "$PY" -c '
import json, sys
try:
    r = json.loads(sys.stdin.read().strip().splitlines()[-1])
    print(r["P"], "%.2e" % r["relative"], "ok" if r["ok"] else "FAIL")
except Exception:
    print("- - FAIL")')
			set -- $row
			[ "$status" = 0 ] && [ "$3" = ok ] || { fail=1; printf '%s\n' "$line"; }
			printf '%-3s %-9s %-5s %5s  %-10s %s\n' "$L" "$act" "$loss" "$1" "$2" "$3"
		done
	done
done
[ "$fail" = 0 ] && echo "all cases within $TOL" || echo "FAILED: some case exceeds $TOL or did not run"
exit "$fail"
