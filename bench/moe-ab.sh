#!/usr/bin/env bash
# Before/after of the σ-MoE FFN in one JVM: the classes in SNAPSHOT (a copy of an older target/classes, made with
# `bench/moe-ab.sh --snapshot DIR` before the change) against the current build, interleaved with the dense FFN.
# Usage: bench/moe-ab.sh --snapshot DIR          copy the current target/classes to DIR/classes
#        bench/moe-ab.sh DIR [tokens=8192] [reps=15]
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -o -q test-compile
if [ "${1:-}" = "--snapshot" ]; then
  rm -rf "$2/classes"; mkdir -p "$2"; cp -r target/classes "$2/classes"; echo "snapshot of target/classes in $2"; exit 0
fi
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-$(nproc)}" OPENBLAS_THREAD_TIMEOUT="${OPENBLAS_THREAD_TIMEOUT:-4}" # idle OpenBLAS threads sleep (docs/performance.md)
CP="target/test-classes:target/classes:$(cat target/classpath.txt)"
exec java -Xms2g -Xmx8g $(cat target/jvm-flags.txt) -cp "$CP" sigmoe.nn.moe.MoeAB "$@" 2> >(grep -v "incubator" >&2)
