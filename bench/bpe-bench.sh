#!/usr/bin/env bash
# Benchmark of `prepare --tokenizer bpe` on the SOTU corpus (10.8 MB, fetched and checksummed into data/corpora by
# data-prep/fetch-corpora.sh): BPE training (pre-token counting on the executors + merge learning on the driver)
# and encoding throughput in MB/s, for each master (default local[1] and local[2]), next to a single-threaded run
# without Spark. Prints a table and writes target/bench/bpe.md.
#
#   bench/bpe-bench.sh [--vocab-size 8000] [MASTER...]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../jobs/common.sh"
cd "$SIGMOE_ROOT"
VOCAB=8000; MASTERS=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --vocab-size) VOCAB=$2; shift ;;
    -*) echo "usage: $0 [--vocab-size N] [MASTER...]" >&2; exit 2 ;;
    *) MASTERS+=("$1") ;;
  esac
  shift
done
[[ ${#MASTERS[@]} -gt 0 ]] || MASTERS=('local[1]' 'local[2]')
data-prep/fetch-corpora.sh data/corpora sotu >&2
sigmoe_build
# the benchmark class lives with the tests (it is not shipped): compile them too
( mvn -q -o -DskipTests test-compile || mvn -q -DskipTests test-compile ) >&2
export SPARK_LOCAL_IP=127.0.0.1 OMP_NUM_THREADS=${OMP_NUM_THREADS:-$(nproc)} OPENBLAS_THREAD_TIMEOUT=${OPENBLAS_THREAD_TIMEOUT:-4}
mkdir -p target/bench
# shellcheck disable=SC2046
java ${SIGMOE_JAVA_OPTS:-} $(cat target/jvm-flags.txt) \
  -cp "target/test-classes:target/classes:$(cat target/classpath.txt)" sigmoe.data.bpe.BpeBench \
  data/corpora/sotu.txt target/bench/corpora target/bench/bpe.md "$VOCAB" "${MASTERS[@]}"
