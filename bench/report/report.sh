#!/usr/bin/env bash
# The transparency report on a year of 1,000,000 decisions: the server's
# answer once it has counted the log, and "oversight report" reading the
# log through its tiles and recomputing the report offline. The output is
# also kept in bench/out/report.txt.
#
#   bench/report/report.sh                      # 1,000,000 decisions, a few minutes
#   bench/report/report.sh -decisions 100000
#
# Last measured (2026-12-05, load average 23-29 on 2 cores shared with other
# work): report from the server p50 0.27 ms, p99 16 ms; oversight report on
# 1,000,000 entries 84 s wall and 11.6 s of client CPU (the previous client:
# 111 s, 17.4 s). Since the server checks its stored state against the log
# at start, the decisions this benchmark writes straight into the log (with
# no operations stored) are reported as mismatches and the start takes
# longer than serveproc's 30 s at 1,000,000: the run above started the
# server by hand on the database written.
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p bench/out
go build -o bench/out/oversight ./cmd/oversight
go run ./bench/report -oversight bench/out/oversight "$@" | tee bench/out/report.txt
