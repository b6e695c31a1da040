#!/usr/bin/env bash
# The transparency report on a year of 1,000,000 decisions: the server's
# answer once it has counted the log, and "oversight report" reading the
# log through its tiles and recomputing the report offline. The output is
# also kept in bench/out/report.txt.
#
#   bench/report/report.sh                      # 1,000,000 decisions, a few minutes
#   bench/report/report.sh -decisions 100000
#
# The database is filled through the service (a world of four licensed
# agencies, then the decisions through service.Authorize), so the server's
# integrity check at start passes; fill it once and reuse it with -dir:
#
#   bench/report/report.sh -dir /tmp/report-bench   # the first run fills it
#   bench/report/report.sh -dir /tmp/report-bench -runs 2 -before /tmp/oversight-old
#
# -before runs an earlier binary's "oversight report" against the same
# server, alternating with this one. Figures: README.md, "Performance".
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p bench/out
go build -o bench/out/oversight ./cmd/oversight
go run ./bench/report -oversight bench/out/oversight "$@" | tee bench/out/report.txt
