#!/usr/bin/env bash
# The integrity check on a log of 1,000,000 decisions, in this process
# (the whole log, a scheduled check, a restart from the verified
# checkpoint and the check of the entries before it), then the starts of
# "oversight serve" on it, each timed to the first 200 of GET /readyz.
# The output is also kept in bench/out/integrity.txt.
#
#   bench/integrity/integrity.sh -dir /tmp/integrity-bench             # the first run fills it
#   bench/integrity/integrity.sh -dir /tmp/integrity-bench -entries 200000
#
# An earlier binary's starts alone, on the same database:
#
#   go run ./bench/integrity -dir /tmp/integrity-bench -check=false -oversight /tmp/oversight-old
#
# Figures: docs/design/ARCHITECTURE.md, "Integrity".
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p bench/out
go build -o bench/out/oversight ./cmd/oversight
go run ./bench/integrity -oversight bench/out/oversight "$@" | tee bench/out/integrity.txt
