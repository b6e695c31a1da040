#!/usr/bin/env bash
# Visa-screening benchmark (package screen): recall, precision and false
# positives on a perturbed query set built from the OFAC SDN list, then
# latency, batch throughput, build time and memory at the list's size and
# with synthetic persons up to 1,000,000 designations. Runs repeat (fixed
# seed). Output is also kept in bench/out/screen.txt.
#
#   bench/screen/screen.sh                      # the whole run, about two minutes
#   SYNTHETIC=0 bench/screen/screen.sh          # the SDN list only
#   bench/screen/screen.sh -show 20             # also print misses and false positives
#
# SANCTIONS_DIR points at the directory holding sdn.csv, alt.csv and
# sdn_comments.csv (default ../shared/data/sanctions beside the repository).
set -euo pipefail
cd "$(dirname "$0")/../.."
data=${SANCTIONS_DIR:-../shared/data/sanctions}
if [[ ! -f "$data/sdn.csv" ]]; then
	echo "screen.sh: no sdn.csv in $data (set SANCTIONS_DIR)" >&2
	exit 2
fi
mkdir -p bench/out
go build -o bench/out/screen-bench ./bench/screen
bench/out/screen-bench -data "$data" -synthetic "${SYNTHETIC:-1000000}" "$@" | tee bench/out/screen.txt
