#!/usr/bin/env bash
# Audit-log benchmark: durable appends with concurrent writers on the
# embedded SQLite store, the SHA-256 rate as the physical limit, inclusion
# and consistency proofs at 1,000,000 leaves, checkpoint signing. The output
# is also kept in bench/out/log.txt.
#
#   bench/log/log.sh
#   bench/log/log.sh -writers 64,256 -appends 200000
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p bench/out
echo "$(nproc) CPUs; load average $(cut -d' ' -f1-3 /proc/loadavg)"
go run ./bench/log "$@" | tee bench/out/log.txt
