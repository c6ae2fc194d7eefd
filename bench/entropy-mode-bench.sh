#!/usr/bin/env bash
# σ-MoE entropy regulariser across Spark slices, global vs local, on the same run length.
# Usage: bench/entropy-mode-bench.sh [STEPS [WORKERS]]; writes target/bench/entropy-mode.md.
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -q -o -DskipTests test-compile || mvn -q -DskipTests test-compile
export SPARK_LOCAL_IP=127.0.0.1 OMP_NUM_THREADS=1
flags=$(cat target/jvm-flags.txt)
# shellcheck disable=SC2086
java -Xmx4g $flags -cp "target/test-classes:target/classes:$(cat target/classpath.txt)" sigmoe.spark.EntropyModeBench "$@"
