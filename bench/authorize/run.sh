#!/bin/sh
# Measures POST /v1/authorize end to end: 32 concurrent signed clients
# against the real handler on a TCP listener, over the embedded SQLite
# store with every decision durable (the WAL fsynced) before its answer.
# The clients run on the same machine, in the same process: their signing
# and HTTP work is counted against the machine.
#
#   bench/authorize/run.sh                      # 32 clients, 20 s
#   bench/authorize/run.sh -duration 60s -cpuprofile /tmp/authorize.pprof
#
# Other load on the machine lowers the figures: the script prints the load
# average before it starts.
set -eu
cd "$(dirname "$0")/../.."
echo "$(nproc) CPUs: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); load average $(cut -d' ' -f1-3 /proc/loadavg)"
go build -o "${TMPDIR:-/tmp}/oversight-bench-authorize" ./bench/authorize
exec "${TMPDIR:-/tmp}/oversight-bench-authorize" -clients 32 -duration 20s "$@"
