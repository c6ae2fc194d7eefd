#!/usr/bin/env bash
# σ-MoE ÷ dense FFN time as the expert size G grows at equal parameters and compute (N_E·G = 2048, K·G = 512):
# how much of the gap to the FLOP ratio 0.25 is the expert shape. About 3 minutes on 2 cores.
# Usage: bench/moe-sweep.sh [tokens=8192] [reps=9] [out=target/bench/moe-sweep.md]
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -o -q test-compile
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-$(nproc)}" OPENBLAS_THREAD_TIMEOUT="${OPENBLAS_THREAD_TIMEOUT:-4}" # idle OpenBLAS threads sleep (docs/performance.md)
CP="target/test-classes:target/classes:$(cat target/classpath.txt)"
exec java -Xms2g -Xmx8g $(cat target/jvm-flags.txt) -cp "$CP" sigmoe.nn.moe.MoeShapeSweep "$@" 2> >(grep -v "incubator" >&2)
