#!/usr/bin/env bash
# Structured-path scaling of `hessblock inspect -model linear -loss ce`
# over C (d = 128, N = 1024 unless D, N are set): wall time, peak RSS
# (/usr/bin/time %M) and the JSON's peak_rss_bytes and estimated_bytes,
# one run per C, with the load average at the start.
#
#   CS="1000 10000 100000 300000" bash bench/peer/structured_scaling.sh
#   CS=100000 FLAGS="-max-memory 1GiB" bash bench/peer/structured_scaling.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=$(mktemp -d)/hessblock
go build -o "$bin" ./cmd/hessblock
d=${D:-128}
n=${N:-1024}
for c in ${CS-1000 10000 100000 300000}; do
	load=$(cut -d' ' -f1-3 /proc/loadavg)
	out=$(mktemp)
	tf=$(mktemp)
	/usr/bin/time -f '%e %M' -o "$tf" "$bin" inspect -model linear -loss ce -C "$c" -d "$d" -N "$n" ${FLAGS:-} -json > "$out"
	read -r secs kib < "$tf"
	/usr/bin/python3 - "$out" "$c" "$secs" "$kib" "$load" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
c, secs, kib, load = sys.argv[2], float(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
print(f"C = {c}: {r['method']}, {secs:.1f} s, peak RSS {kib * 1024 / 2**30:.2f} GiB "
      f"(JSON {r['peak_rss_bytes'] / 2**30:.2f} GiB, estimate {r['estimated_bytes'] / 2**30:.2f} GiB), "
      f"rho {r['rho']:.6g}, lambda_max {r['lambda_max']:.6g} (residual {r.get('lambda_max_residual', 0):.1e}); load {load}")
PY
	rm -f "$out" "$tf"
done
