#!/usr/bin/env bash
# Whole training step: tokens/s of conf/small-dense.conf vs conf/small-moe.conf (synthetic stream, vocabulary
# 8000), model FLOP/s as a fraction of the sgemm rate measured in the same JVM, the step's phase split, σ-MoE FFN
# activation memory vs dense, and heap / off-heap growth over the tiny σ-MoE configuration. A second JVM repeats
# the speed measurements with OPENBLAS_CORETYPE unset, or set to SECOND_CORETYPE (e.g. SkylakeX), as a second column
# (no memory-growth run there).
# Usage: bench/step-bench.sh [STEPS=8 [WARMUP=2 [MEM_STEPS=1000 [MEM_SECONDS=180 [BATCH [SEGMENT]]]]]]
#        (BATCH/SEGMENT override the config's B and T; NO_UNSET=1 skips the second column.)
#        SECOND_CORETYPE=SkylakeX: the second column's kernels (default: OPENBLAS_CORETYPE unset, OpenBLAS detects).
# Writes target/bench/step.md (via a temporary name) and prints it.
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -q -o -DskipTests test-compile || mvn -q -DskipTests test-compile
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-$(nproc)}" OPENBLAS_THREAD_TIMEOUT="${OPENBLAS_THREAD_TIMEOUT:-4}" # idle OpenBLAS threads sleep (docs/performance.md)
STEPS=${1:-8} WARMUP=${2:-2} MEM_STEPS=${3:-1000} MEM_SECONDS=${4:-180} BATCH=${5:-0} SEGMENT=${6:-0}
# a snapshot of the classes, so a rebuild while the benchmark runs cannot pull them away
snap=$(mktemp -d); trap 'rm -rf "$snap"' EXIT; cp -r target/classes target/test-classes "$snap"/
CP="$snap/test-classes:$snap/classes:$(cat target/classpath.txt)"
FLAGS=$(cat target/jvm-flags.txt)
mkdir -p target/bench
run() { # shellcheck disable=SC2086
  java -Xms1g -Xmx4g $FLAGS -cp "$CP" sigmoe.perf.StepBench "$@" 2> >(grep -v "incubator" >&2); }
run target/bench/step-env.properties "$STEPS" "$WARMUP" "$MEM_STEPS" "$MEM_SECONDS" "$BATCH" "$SEGMENT" >/dev/null
cols=(target/bench/step-env.properties)
SECOND=${SECOND_CORETYPE:-}
if [[ -z "${NO_UNSET:-}" && "${OPENBLAS_CORETYPE:-}" != "$SECOND" ]]; then
  ( if [[ -n "$SECOND" ]]; then export OPENBLAS_CORETYPE=$SECOND; else unset OPENBLAS_CORETYPE; fi
    run target/bench/step-second.properties "$STEPS" "$WARMUP" 0 0 "$BATCH" "$SEGMENT" >/dev/null )
  cols+=(target/bench/step-second.properties)
fi
# shellcheck disable=SC2086
java $FLAGS -cp "$CP" sigmoe.perf.StepTable target/bench/step.md "${cols[@]}" 2> >(grep -v "incubator" >&2)
