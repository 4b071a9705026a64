#!/usr/bin/env bash
# interleave.sh RUNS ROWS name=pipeline.hcl[@sluice-binary] ... -- sluice-run-args...
#
# Times whole `sluice run` processes like cmd/pipelinebench, but in rounds:
# each round runs every pipeline once, so that a noisy machine (2 shared
# cores) slows all of them alike rather than whichever ran while it was
# busy. Prints each pipeline's median wall time, range and rows per second,
# and its throughput relative to the first pipeline's two ways: the ratio of
# the medians, and the median of the rounds' ratios, which cancels slow
# spells that last a round. Also the median CPU time (user + system) of
# each run, the sluice process and its plugin processes together, which a
# busy machine disturbs far less than wall time. Used by `make bench` for W1
# in and out of process. Each pipeline runs with bin/sluice, or with the
# binary after its @, to compare builds (an older commit's, say) in the same
# rounds.
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
		# bash's time counts the CPU of every process waited for:
		# pipelinebench, sluice and the plugins sluice started.
		TIMEFORMAT='%U %S'
		spec=${p%%@*} sluice=bin/sluice
		if [ "$spec" != "$p" ]; then sluice=${p#*@}; fi
		{ time "$bench/pipelinebench" --sluice "$sluice" --rows "$rows" --runs 1 "$spec" -- "$@" >"$bench/out"; } 2>"$bench/time"
		wall=$(awk 'NR == 2 { print $2 }' "$bench/out")
		cpu=$(tail -1 "$bench/time" | awk '{ printf "%.2f", $1 + $2 }')
		echo "$wall $cpu" >>"$bench/${p%%=*}"
		line="$line ${p%%=*} $wall s ($cpu s CPU)"
	done
	echo "$line  (load $(cut -d' ' -f1 /proc/loadavg))"
done
first=${pipelines[0]%%=*}
printf '%-12s %10s %12s %14s %9s %9s %8s\n' name "median (s)" "range (s)" rows/s "vs first" "paired" "CPU (s)"
for p in "${pipelines[@]}"; do
	paste "$bench/$first" "$bench/${p%%=*}" | awk -v n="${p%%=*}" -v rows="$rows" '
		function median(a, k,   i, j, t) {
			for (i = 2; i <= k; i++) for (j = i; j > 1 && a[j-1] > a[j]; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
			return (k % 2) ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
		}
		{ f[NR] = $1; w[NR] = $3; c[NR] = $4; ratio[NR] = $1 / $3; if (NR == 1 || $3 < lo) lo = $3; if (NR == 1 || $3 > hi) hi = $3 }
		END {
			mf = median(f, NR); mw = median(w, NR); mr = median(ratio, NR); mc = median(c, NR)
			printf "%-12s %10.2f %5.2f–%-6.2f %14.0f %8.0f%% %8.0f%% %8.2f\n", n, mw, lo, hi, rows / mw, 100 * mf / mw, 100 * mr, mc
		}'
done
