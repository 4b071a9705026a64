#!/usr/bin/env bash
# interleave.sh RUNS ROWS name=pipeline.hcl ... -- sluice-run-args...
#
# Times whole `sluice run` processes like cmd/pipelinebench, but in rounds:
# each round runs every pipeline once, so that a noisy machine (2 shared
# cores) slows all of them alike rather than whichever ran while it was
# busy. Prints each pipeline's median wall time, range, rows per second and
# its rows per second relative to the first. Used by `make bench` for W1 in
# and out of process. Needs bin/sluice and the pipelinebench command.
set -euo pipefail
runs=$1 rows=$2
shift 2
pipelines=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do pipelines+=("$1"); shift; done
[ $# -gt 0 ] && shift
bench=$(mktemp -d)
trap 'rm -rf "$bench"' EXIT
"${GO:-go}" build -o "$bench/pipelinebench" ./cmd/pipelinebench
for ((r = 1; r <= runs; r++)); do
	line="round $r:"
	for p in "${pipelines[@]}"; do
		n=${p%%=*}
		wall=$("$bench/pipelinebench" --sluice bin/sluice --rows "$rows" --runs 1 "$p" -- "$@" | awk 'NR == 2 { print $2 }')
		echo "$wall" >>"$bench/$n"
		line="$line $n $wall s"
	done
	echo "$line"
done
printf '%-12s %10s %14s %16s %9s\n' name "median (s)" rows/s "range (s)" relative
first=""
for p in "${pipelines[@]}"; do
	n=${p%%=*}
	sort -n "$bench/$n" | awk -v n="$n" -v rows="$rows" -v first="$first" '
		{ t[NR] = $1 }
		END {
			m = (NR % 2) ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2
			rel = first == "" ? 100 : 100 * first / m
			printf "%-12s %10.2f %14.0f %7.2f – %-6.2f %8.0f%%\n", n, m, rows / m, t[1], t[NR], rel
		}'
	if [ -z "$first" ]; then
		first=$(sort -n "$bench/$n" | awk '{ t[NR] = $1 } END { print (NR % 2) ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2 }')
	fi
done
