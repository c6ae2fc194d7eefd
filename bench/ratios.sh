#!/usr/bin/env bash
# The performance issue's five ratios in one run: bench/moe-bench.sh (σ-MoE ÷ dense FFN time, activation memory),
# bench/step-bench.sh (model FLOP/s ÷ sgemm, memory growth; second column skipped) and bench/spark-bench.sh (2 vs 1
# executors, share of the round outside the compute), then one table: target/bench/ratios.md (sigmoe.perf.Ratios).
# About 10 minutes on 2 cores; run it on a quiet machine. Usage: bench/ratios.sh [--table-only]
#   --table-only: rebuild the table from the reports already in target/bench.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ ${1:-} != --table-only ]]; then
  bench/moe-bench.sh 8192 15
  NO_UNSET=1 bench/step-bench.sh 8 2 1000 180
  bench/spark-bench.sh tiny,small 12
fi
mvn -q -o -DskipTests test-compile || mvn -q -DskipTests test-compile
java -cp "target/test-classes:target/classes:$(cat target/classpath.txt)" sigmoe.perf.Ratios target/bench 2> >(grep -v incubator >&2)
