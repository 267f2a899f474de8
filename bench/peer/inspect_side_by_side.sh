#!/usr/bin/env bash
# Side by side, as commands: `hessblock inspect -model linear -loss ce`
# against the numpy/OpenBLAS closed forms, same sizes, interleaved, ROUNDS
# rounds, medians: the dense path (inspect_numpy.py; C in CS, d = 100,
# N = 500) and the structured path (inspect_structured_numpy.py; C in
# STRUCT_CS, d = 64, N = 512).
#
#   apt-get install -y python3-numpy python3-scipy libopenblas0-pthread
#   bash bench/peer/inspect_side_by_side.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${ROUNDS:-5}
bin=$(mktemp -d)/hessblock
go build -o "$bin" ./cmd/hessblock
export OPENBLAS_NUM_THREADS=2
wall() { local s e; s=$(date +%s.%N); "$@" > /dev/null 2>&1; e=$(date +%s.%N); echo "$e - $s" | bc; }
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# side PEER D N C: one interleaved comparison.
side() {
	local peer=$1 d=$2 n=$3 c=$4 hb=() np=() mh mn
	for _ in $(seq "$ROUNDS"); do
		hb+=("$(wall "$bin" inspect -model linear -loss ce -C "$c" -d "$d" -N "$n")")
		np+=("$(wall /usr/bin/python3 "bench/peer/$peer" -C "$c" -d "$d" -N "$n")")
	done
	mh=$(printf '%s\n' "${hb[@]}" | median)
	mn=$(printf '%s\n' "${np[@]}" | median)
	printf '%s C = %d, d = %d, N = %d, P = %d: hessblock %s s, numpy %s s (medians of %d), numpy/hessblock = %.2f\n' \
		"$peer" "$c" "$d" "$n" $((c * d)) "$mh" "$mn" "$ROUNDS" "$(echo "$mn / $mh" | bc -l)"
}
for c in ${CS-20 40}; do side inspect_numpy.py 100 500 "$c"; done
for c in ${STRUCT_CS-20000}; do side inspect_structured_numpy.py 64 512 "$c"; done
