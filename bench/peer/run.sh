#!/usr/bin/env bash
# Side-by-side: hessblock's dense Hessian + block statistics against PyTorch
# autograd on the same problems (linear CE, d = 100, N = 500), in one
# invocation, printing the speed ratio per size.
#
#   bench/peer/run.sh                 # P ∈ {500, 2000, 4000}
#   P=500,2000,4000,8000 bench/peer/run.sh
#   TAGS=openblas bench/peer/run.sh   # hessblock on OpenBLAS
#   LADDER=1 bench/peer/run.sh        # also: largest P each does in 60 s
#
# Needs Debian's python3-torch (apt-get install -y python3-torch); CI does
# not run this.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PYTHON:-/usr/bin/python3}
SIZES=${P:-500,2000,4000}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
go build ${TAGS:+-tags "$TAGS"} -o "$dir/peer" ./bench/peer

ratio() { # size → prints one line; returns the two times via globals
	local np=$1 reps=${2:-3}
	local g t
	g=$("$dir/peer" -P "$np" -dir "$dir" -reps "$reps")
	local c=$((np / 100))
	t=$("$PY" bench/peer/torch_hessian.py "$dir/peer-P$np" "$c" 100 500 "$reps")
	"$PY" - "$g" "$t" <<'PYEOF'
import json, sys
g, t = json.loads(sys.argv[1]), json.loads(sys.argv[2])
rel = abs(g["rho"] - t["rho"]) / abs(t["rho"])
relf = abs(g["frobenius_sq"] - t["frobenius_sq"]) / abs(t["frobenius_sq"])
print(f"P={g['P']:6d}  hessblock[{g['blas']}] {g['seconds']:8.3f} s   torch {t['torch']} {t['seconds']:8.3f} s   "
      f"ratio {t['seconds'] / g['seconds']:6.1f}x   rho rel.diff {rel:.1e}, |H|_F^2 rel.diff {relf:.1e}")
PYEOF
	rm -f "$dir"/peer-P"$np"-*.bin
}

echo "linear CE, d=100, N=500; times are the best of 3 (Hessian + block statistics)"
IFS=, read -ra sizes <<<"$SIZES"
for np in "${sizes[@]}"; do ratio "$np"; done

if [ -n "${LADDER:-}" ]; then
	echo "largest P within 60 s (one run each, P doubling from 4000):"
	for impl in hessblock torch; do
		np=4000 last=0
		while :; do
			c=$((np / 100))
			if [ "$impl" = hessblock ]; then
				s=$("$dir/peer" -P "$np" -dir "$dir" -reps 1 | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["seconds"])')
			else
				"$dir/peer" -P "$np" -dir "$dir" -reps 1 >/dev/null
				s=$(timeout 600 "$PY" bench/peer/torch_hessian.py "$dir/peer-P$np" "$c" 100 500 1 |
					"$PY" -c 'import json,sys; print(json.load(sys.stdin)["seconds"])' || echo 1e9)
			fi
			rm -f "$dir"/peer-P"$np"-*.bin
			echo "  $impl P=$np: $s s"
			if "$PY" -c "import sys; sys.exit(0 if float('$s') <= 60 else 1)"; then last=$np; else break; fi
			# 24 GiB machine: stop before H (8·P² bytes, twice for torch) cannot fit.
			if [ $((np * 2)) -gt 32000 ]; then echo "  (stopping at the memory limit of this machine)"; break; fi
			np=$((np * 2))
		done
		echo "  $impl: largest P within 60 s = $last"
	done
fi
