#!/usr/bin/env bash
# Revocation latency: from the call that puts a revocation into force (the
# second ministry's approval) to the exit of the tool the agent supervises,
# over real processes (server, agent, sleep 600), one new licence and
# deployment per run. Prints every run and p50/p90/p99; the output is also
# kept in bench/out/revoke.txt.
#
#   bench/revoke/revoke.sh               # 30 runs, a few seconds
#   bench/revoke/revoke.sh -runs 100
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p bench/out
go build -o bench/out/oversight ./cmd/oversight
go run ./bench/revoke -oversight bench/out/oversight "$@" | tee bench/out/revoke.txt
