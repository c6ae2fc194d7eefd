#!/usr/bin/env bash
# Quickstart: the main job end to end on the embedded Moby-Dick corpus with local Spark (about 10 minutes on 2 cores):
#   1. prepare  the corpus (word level, 90/5/5 by lines, <unk> for words seen < 3 times) -> runs/quickstart/corpus
#   2. train    a tiny σ-MoE Transformer-XL (conf/tiny-moe.conf) with 2 Spark slices     -> runs/quickstart/tiny-moe
#   3. evaluate on the test split with the paper's protocol (4 streams, memory of 4 segments): ppl and bpc
#   4. report   HTML page with charts                                                      -> runs/quickstart/tiny-moe/report
# Extra arguments are configuration overrides for the training (e.g. train.steps=100).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$SIGMOE_ROOT"
Q=runs/quickstart
sigmoe_build
mkdir -p "$Q"
if [[ ! -f $Q/moby-dick.txt ]]; then
  gunzip -c target/classes/corpus/moby-dick.txt.gz > "$Q/.moby-dick.txt.tmp"
  mv "$Q/.moby-dick.txt.tmp" "$Q/moby-dick.txt"
fi
echo "== 1/4 prepare: $Q/moby-dick.txt -> $Q/corpus"
sigmoe_run prepare --tokenizer word --input "$Q/moby-dick.txt" --output "$Q/corpus" --min-count 3 --overwrite --master 'local[2]'

echo "== 2/4 train: conf/tiny-moe.conf, 2 slices on local[2]"
rm -rf "$Q/tiny-moe"
sigmoe_run train tiny-moe train.data="$Q/corpus" train.run_dir="$Q/tiny-moe" --master 'local[2]' "$@" | tee "$Q/train.log"
ckpt=$(tail -1 "$Q/train.log" | sed -n 's/.*"checkpoint":"\([^"]*\)".*/\1/p')

echo "== 3/4 evaluate: $ckpt on the test split"
sigmoe_run eval --checkpoint "$ckpt" --data "$Q/corpus" --split test --segment 64 --mem-segments 4 --batch 4 | tee "$Q/eval.log"

echo "== 4/4 report"
sigmoe_run report "$Q/tiny-moe" | tee "$Q/report.log"

echo
echo "run directory: $Q/tiny-moe"
echo "checkpoint:    $ckpt"
echo "evaluation:    $(tail -1 "$Q/eval.log")"
echo "report:        $(tail -1 "$Q/report.log")"
