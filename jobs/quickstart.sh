#!/usr/bin/env bash
# Quickstart: prepares the embedded Moby-Dick corpus (word level, 90/5/5 by lines) into runs/quickstart/corpus
# and prints its statistics. Extra arguments go to `prepare` (e.g. --master local[2]).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$SIGMOE_ROOT"
sigmoe_build
mkdir -p runs/quickstart
if [[ ! -f runs/quickstart/moby-dick.txt ]]; then
  gunzip -c target/classes/corpus/moby-dick.txt.gz > runs/quickstart/.moby-dick.txt.tmp
  mv runs/quickstart/.moby-dick.txt.tmp runs/quickstart/moby-dick.txt
fi
sigmoe_run prepare --tokenizer word --input runs/quickstart/moby-dick.txt --output runs/quickstart/corpus \
  --overwrite "$@"
