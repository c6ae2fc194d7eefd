#!/usr/bin/env bash
# σ-MoE FFN vs parameter-equal dense FFN benchmark (forward + backward, FLOAT) with the sgemm rate of the same run.
# Usage: bench/moe-bench.sh [tokens=8192] [reps=25] [out=target/bench/moe.md]
#        bench/moe-bench.sh --sweep [tokens=8192] [reps=9] [out=target/bench/moe-sweep.md]
#          σ-MoE ÷ dense as the expert size G grows at equal parameters and FLOPs (N_E·G = 2048, K·G = 512): how much
#          of the gap to the FLOP ratio 0.25 is the expert shape (sigmoe.nn.moe.MoeShapeSweep, ~1 minute).
# Writes the markdown table to the output file (via a temporary name) and prints it.
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -o -q test-compile
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-$(nproc)}" OPENBLAS_THREAD_TIMEOUT="${OPENBLAS_THREAD_TIMEOUT:-4}" # idle OpenBLAS threads sleep (docs/performance.md)
CP="target/test-classes:target/classes:$(cat target/classpath.txt)"
MAIN=sigmoe.nn.moe.MoeBench
if [[ ${1:-} == --sweep ]]; then MAIN=sigmoe.nn.moe.MoeShapeSweep; shift; fi
exec java -Xms2g -Xmx8g $(cat target/jvm-flags.txt) -cp "$CP" $MAIN "$@" 2> >(grep -v "incubator" >&2)
