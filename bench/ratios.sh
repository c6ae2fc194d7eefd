#!/usr/bin/env bash
# The performance issue's five ratios in one run: bench/moe-bench.sh (σ-MoE ÷ dense FFN time, activation memory),
# bench/step-bench.sh (model FLOP/s ÷ sgemm, memory growth) and bench/spark-bench.sh (2 vs 1 executors, share of
# the round outside the compute), then one table: target/bench/ratios.md (sigmoe.perf.Ratios). Targets 1 and 2 depend
# on the BLAS kernels, so they get a second column with OPENBLAS_CORETYPE=$SECOND_CORETYPE (default SkylakeX, the
# AVX-512 kernels; docs/performance.md): moe-bench again into moe-second.md, and step-bench's second column.
# About 14 minutes on 2 cores; run it on a quiet machine. Usage: bench/ratios.sh [--table-only]
#   --table-only: rebuild the table from the reports already in target/bench.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ ${1:-} != --table-only ]]; then
  SECOND=${SECOND_CORETYPE:-SkylakeX}
  bench/moe-bench.sh 8192 15
  OPENBLAS_CORETYPE=$SECOND bench/moe-bench.sh 8192 15 target/bench/moe-second.md >/dev/null
  SECOND_CORETYPE=$SECOND bench/step-bench.sh 16 4 1000 180  # 16 steps: 8 gave medians 10% apart minutes apart
  bench/spark-bench.sh tiny,small 12
fi
mvn -q -o -DskipTests test-compile || mvn -q -DskipTests test-compile
java -cp "target/test-classes:target/classes:$(cat target/classpath.txt)" sigmoe.perf.Ratios target/bench 2> >(grep -v incubator >&2)
