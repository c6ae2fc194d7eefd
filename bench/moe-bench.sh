#!/usr/bin/env bash
# σ-MoE FFN vs parameter-equal dense FFN benchmark (forward + backward, FLOAT) with the sgemm rate of the same run.
# Usage: bench/moe-bench.sh [tokens=8192] [reps=25] [out=target/bench/moe.md]
# Writes the markdown table to the output file (via a temporary name) and prints it.
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -o -q test-compile
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-$(nproc)}" OPENBLAS_THREAD_TIMEOUT="${OPENBLAS_THREAD_TIMEOUT:-4}" # idle OpenBLAS threads sleep (docs/performance.md)
CP="target/test-classes:target/classes:$(cat target/classpath.txt)"
exec java -Xms2g -Xmx8g $(cat target/jvm-flags.txt) -cp "$CP" sigmoe.nn.moe.MoeBench "$@" 2> >(grep -v "incubator" >&2)
