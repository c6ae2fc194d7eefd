#!/usr/bin/env bash
# Replication on CPU of the paper's comparisons at tiny size (paper.md §4 Tab. 3/10, §6 "parameter-equal"):
# trains every row below on the same corpus for the same number of tokens, evaluates each with the paper's protocol
# (jobs/eval.sh: 4 streams, memory of 4 segments) and writes docs/RESULTS.md next to the paper's WT-S numbers.
#
#   bench/replicate.sh [--smoke] [--out DIR] [CORPUS]
#
# CORPUS: a prepared corpus (default runs/quickstart/corpus, made by jobs/quickstart.sh from the embedded Moby-Dick).
# --smoke: 20 training steps per row and 20 evaluation segments (the CI-sized version: it checks the plumbing,
#          the numbers mean nothing). Without it: the configurations' own 1000 steps, full splits.
# Single-process training (jobs/train.sh --single-process): identical rows, no Spark start-up per row.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
SMOKE=0; OUT=""; CORPUS=runs/quickstart/corpus
while [[ $# -gt 0 ]]; do
  case $1 in
    --smoke) SMOKE=1; shift ;;
    --out) OUT=$2; shift 2 ;;
    -h|--help) sed -n 2,13p "$0"; exit 0 ;;
    -*) echo "replicate.sh: unknown option $1 (valid: --smoke, --out DIR)" >&2; exit 2 ;;
    *) CORPUS=$1; shift ;;
  esac
done
if [[ ! -d $CORPUS ]]; then
  echo "replicate.sh: corpus '$CORPUS' not found; run jobs/quickstart.sh first (it prepares runs/quickstart/corpus) or pass a prepared corpus" >&2
  exit 2
fi
[[ -n $OUT ]] || OUT=runs/replicate$([[ $SMOKE == 1 ]] && echo -smoke)
mkdir -p "$OUT"
STEPS=(); EVAL=()
if [[ $SMOKE == 1 ]]; then STEPS=(train.steps=20 train.warmup=2 train.eval_interval=20 train.eval_batches=1); EVAL=(--max-segments 20); fi

# name | conf | paper WT-S ppl (Tab. 3/10; "-" = not in the paper) | what
ROWS=(
  "dense|tiny-dense|11.81|dense baseline, parameter-equal to σ-MoE (d_ff 258)"
  "sigma-moe|tiny-moe|11.59|σ-MoE 8×32, K 2 (Tab. 10 σ-MoE row; Tab. 3: 11.71)"
  "dense-flop-equal|tiny-dense-flop-equal|-|dense with d_ff = K·G = 64 (FLOP-equal to σ-MoE)"
  "softmax-no-renorm|tiny-softmax-no-renorm|12.05|softmax before top-K"
  "softmax-renorm|tiny-softmax-renorm|11.89|softmax after top-K (code regulariser)"
  "standard-dropout|tiny-standard-dropout|12.01|dropout 0.1 on s·ReLU(xW1)"
  "standard-init|tiny-standard-init|11.80|W2 std from G"
  "no-reg|tiny-no-reg|11.83|γ = 0, δ = 0"
  "switch|tiny-switch|12.27|Switch, 4×64, K 1 (K·G units per expert), dropout 0.1 in the experts"
  "s-base|tiny-s-base|13.01|S-BASE 8×32, K 2"
  "dense-topk|tiny-dense-topk|11.74|dense top-64 activation (Tab. 1, K 128 of 2053 row)"
)
: > "$OUT/rows.tsv"
start_all=$(date +%s)
for row in "${ROWS[@]}"; do
  IFS='|' read -r name conf paper what <<< "$row"
  run="$OUT/$name"
  rm -rf "$run"
  cmd="jobs/train.sh $conf train.data=$CORPUS train.run_dir=$run ${STEPS[*]} --single-process"
  echo "== $name: $cmd"
  t0=$(date +%s)
  jobs/train.sh "$conf" train.data="$CORPUS" train.run_dir="$run" "${STEPS[@]}" --single-process > "$run.train.log" 2>&1 \
    || { echo "replicate.sh: training $name failed; see $run.train.log" >&2; tail -5 "$run.train.log" >&2; exit 1; }
  t1=$(date +%s)
  ckpt=$(tail -1 "$run.train.log" | sed -n 's/.*"checkpoint":"\([^"]*\)".*/\1/p')
  [[ -n $ckpt ]] || { echo "replicate.sh: no checkpoint in the last line of $run.train.log" >&2; exit 1; }
  for split in valid test; do
    jobs/eval.sh --checkpoint "$ckpt" --data "$CORPUS" --split $split --segment 64 --mem-segments 4 --batch 4 "${EVAL[@]}" \
      > "$run.eval-$split.log" 2>&1 || { echo "replicate.sh: eval $name/$split failed; see $run.eval-$split.log" >&2; exit 1; }
  done
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$conf" "$paper" "$what" "$cmd" "$((t1 - t0))" "$run" >> "$OUT/rows.tsv"
done
total=$(( $(date +%s) - start_all ))
python3 bench/replicate_report.py "$OUT/rows.tsv" "$SMOKE" "$total" "$CORPUS" > "$OUT/RESULTS.md.tmp"
mv "$OUT/RESULTS.md.tmp" "$OUT/RESULTS.md"
if [[ $SMOKE == 1 ]]; then echo "smoke results: $OUT/RESULTS.md (docs/RESULTS.md is only written by a full run)"
else mkdir -p docs; cp "$OUT/RESULTS.md" docs/.RESULTS.md.tmp && mv docs/.RESULTS.md.tmp docs/RESULTS.md; echo "wrote docs/RESULTS.md"; fi
echo "total: ${total}s"
