#!/usr/bin/env bash
# Benchmark of the prepare job: MB/s on the SOTU corpus (word level) and, when it can be fetched, GCIDE (byte
# level), next to the time to merely read the same bytes in the same JVM. Prints a table and writes
# target/bench/prepare.md. Corpora are fetched (checksummed) into data/corpora by data-prep/fetch-corpora.sh.
# (SOTU is not run byte-level: its 2010s addresses use curly quotes, bytes that the 90% train part never has,
# which the enwik8 convention rightly refuses; GCIDE is cut enwik8-style to its first 37.6 MB for the same reason.)
#
#   bench/prepare-bench.sh [--master local[*]] [--no-gcide]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../jobs/common.sh"
cd "$SIGMOE_ROOT"
MASTER='local[*]'; GCIDE=1
while [[ $# -gt 0 ]]; do
  case $1 in
    --master) MASTER=$2; shift ;;
    --no-gcide) GCIDE=0 ;;
    *) echo "usage: $0 [--master M] [--no-gcide]" >&2; exit 2 ;;
  esac
  shift
done
data-prep/fetch-corpora.sh data/corpora sotu >&2
RUNS=(sotu-word=data/corpora/sotu.txt:word:min-count=3)
if [[ $GCIDE == 1 ]] && data-prep/fetch-corpora.sh data/corpora gcide >&2; then
  # enwik8 style, the first 37.6 MB: past them (byte 37,779,992) GCIDE has a stray 0xb9 that train never has
  RUNS+=(gcide-byte=data/corpora/gcide.txt:byte:split-bytes=36000000,800000,800000)
fi
sigmoe_build
# the benchmark class lives with the tests (it is not shipped): compile them too
( mvn -q -o -DskipTests test-compile || mvn -q -DskipTests test-compile ) >&2
export SPARK_LOCAL_IP=127.0.0.1 OMP_NUM_THREADS=${OMP_NUM_THREADS:-$(nproc)} OPENBLAS_THREAD_TIMEOUT=${OPENBLAS_THREAD_TIMEOUT:-4}
mkdir -p target/bench
# shellcheck disable=SC2046
java ${SIGMOE_JAVA_OPTS:-} $(cat target/jvm-flags.txt) \
  -cp "target/test-classes:target/classes:$(cat target/classpath.txt)" sigmoe.data.PrepareBench \
  "$MASTER" target/bench/corpora target/bench/prepare.md "${RUNS[@]}"
