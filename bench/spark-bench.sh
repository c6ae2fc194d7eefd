#!/usr/bin/env bash
# Spark trainer benchmark (sigmoe.spark.SparkBench): at tiny size tokens/s with 1 and 2 executor JVMs of 1 core and the
# share of the round cycle outside the slices' compute for H = 1, 10, 50; at small size (conf/small-*.conf, H = 10) the
# round cycle part by part. Usage: bench/spark-bench.sh [SIZES [SMALL_ROUNDS [spark.KEY=VALUE | train.KEY=VALUE ...]]],
# SIZES = tiny,small
# (default both); writes target/bench/spark.md. Run it under `nice -n 10` on a shared machine.
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -q -o -DskipTests test-compile || mvn -q -DskipTests test-compile
export SPARK_HOME=$PWD/target/sparkhome SPARK_SCALA_VERSION=2.12 SPARK_LOCAL_IP=127.0.0.1 OMP_NUM_THREADS=1 OPENBLAS_THREAD_TIMEOUT="${OPENBLAS_THREAD_TIMEOUT:-4}"
flags=$(cat target/jvm-flags.txt)
# a snapshot of the classes, so a rebuild while the benchmark runs cannot pull them away
snap=$(mktemp -d); trap 'rm -rf "$snap"' EXIT; cp -r target/classes target/test-classes "$snap"/
# shellcheck disable=SC2086
java -Xmx4g $flags -Dsigmoe.jvm.flags="$flags" -Dsigmoe.classes="$snap/classes:$snap/test-classes" -cp "$snap/test-classes:$snap/classes:$(cat target/classpath.txt)" \
  sigmoe.spark.SparkBench "$@"
