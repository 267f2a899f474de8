#!/usr/bin/env bash
# Side by side, as commands: `hessblock inspect -model linear -loss ce`
# against the numpy/OpenBLAS closed forms, same sizes, interleaved, ROUNDS
# rounds, medians of wall time and of peak RSS (/usr/bin/time %M): the
# dense path (inspect_numpy.py; C in CS, d = 100, N = 500) and the
# structured path (inspect_structured_numpy.py; C:d:N in STRUCT, default
# 20000:64:512 and 100000:128:1024).
#
#   apt-get install -y python3-numpy python3-scipy libopenblas0-pthread
#   bash bench/peer/inspect_side_by_side.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${ROUNDS:-5}
bin=$(mktemp -d)/hessblock
go build -o "$bin" ./cmd/hessblock
export OPENBLAS_NUM_THREADS=2
# run CMD…: prints "seconds peak-RSS-bytes" of one run.
run() {
	local f
	f=$(mktemp)
	/usr/bin/time -f '%e %M' -o "$f" "$@" > /dev/null 2>&1
	awk '{printf "%s %.0f\n", $1, $2 * 1024}' "$f"
	rm -f "$f"
}
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# side PEER D N C: one interleaved comparison.
side() {
	local peer=$1 d=$2 n=$3 c=$4 hb=() np=() ht hm nt nm
	for _ in $(seq "$ROUNDS"); do
		hb+=("$(run "$bin" inspect -model linear -loss ce -C "$c" -d "$d" -N "$n")")
		np+=("$(run /usr/bin/python3 "bench/peer/$peer" -C "$c" -d "$d" -N "$n")")
	done
	ht=$(printf '%s\n' "${hb[@]}" | cut -d' ' -f1 | median)
	hm=$(printf '%s\n' "${hb[@]}" | cut -d' ' -f2 | median)
	nt=$(printf '%s\n' "${np[@]}" | cut -d' ' -f1 | median)
	nm=$(printf '%s\n' "${np[@]}" | cut -d' ' -f2 | median)
	printf '%s C = %d, d = %d, N = %d, P = %d: hessblock %s s %.2f GiB, numpy %s s %.2f GiB (medians of %d), numpy/hessblock = %.2f (load %s)\n' \
		"$peer" "$c" "$d" "$n" $((c * d)) "$ht" "$(echo "$hm / 2^30" | bc -l)" "$nt" "$(echo "$nm / 2^30" | bc -l)" \
		"$ROUNDS" "$(echo "$nt / $ht" | bc -l)" "$(cut -d' ' -f1-3 /proc/loadavg)"
}
for c in ${CS-20 40}; do side inspect_numpy.py 100 500 "$c"; done
for s in ${STRUCT-20000:64:512 100000:128:1024}; do
	IFS=: read -r c d n <<< "$s"
	side inspect_structured_numpy.py "$d" "$n" "$c"
done
