#!/usr/bin/env bash
# Side by side, as commands: `hessblock inspect -model linear -loss ce` (dense
# path) against the numpy/OpenBLAS closed form (inspect_numpy.py), same
# sizes, interleaved, ROUNDS rounds; prints each wall time and the medians.
#
#   apt-get install -y python3-numpy python3-scipy libopenblas0-pthread
#   bash bench/peer/inspect_side_by_side.sh            # C = 20 and 40, d = 100, N = 500
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${ROUNDS:-5}
bin=$(mktemp -d)/hessblock
go build -o "$bin" ./cmd/hessblock
export OPENBLAS_NUM_THREADS=2
wall() { local s e; s=$(date +%s.%N); "$@" > /dev/null; e=$(date +%s.%N); echo "$e - $s" | bc; }
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
for c in ${CS:-20 40}; do
	hb=() np=()
	for _ in $(seq "$ROUNDS"); do
		hb+=("$(wall "$bin" inspect -model linear -loss ce -C "$c" -d 100 -N 500)")
		np+=("$(wall /usr/bin/python3 bench/peer/inspect_numpy.py -C "$c" -d 100 -N 500)")
	done
	mh=$(printf '%s\n' "${hb[@]}" | median)
	mn=$(printf '%s\n' "${np[@]}" | median)
	printf 'C = %d, P = %d: hessblock %s s, numpy %s s (medians of %d), numpy/hessblock = %.2f\n' \
		"$c" $((c * 100)) "$mh" "$mn" "$ROUNDS" "$(echo "$mn / $mh" | bc -l)"
done
