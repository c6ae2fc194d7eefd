#!/usr/bin/env bash
# σ-MoE entropy regulariser across Spark slices, global vs local, on the same run length.
# Usage: bench/entropy-mode-bench.sh [STEPS [WORKERS]]; writes target/bench/entropy-mode.md.
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -q -o -DskipTests test-compile || mvn -q -DskipTests test-compile
export SPARK_LOCAL_IP=127.0.0.1 OMP_NUM_THREADS=1
flags=$(cat target/jvm-flags.txt)
# a snapshot of the classes, so a rebuild while the benchmark runs cannot pull them away
snap=$(mktemp -d); trap 'rm -rf "$snap"' EXIT; cp -r target/classes target/test-classes "$snap"/
# shellcheck disable=SC2086
java -Xmx4g $flags -cp "$snap/test-classes:$snap/classes:$(cat target/classpath.txt)" sigmoe.spark.EntropyModeBench "$@"
