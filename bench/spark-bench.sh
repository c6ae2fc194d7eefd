#!/usr/bin/env bash
# Spark trainer benchmark: tokens/s with 1 and 2 executor JVMs of 1 core, and the share of round time outside the
# slices' compute for H = 1, 10, 50. Usage: bench/spark-bench.sh [MODEL_KEYS [STEPS]]; writes target/bench/spark.md.
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -q -o -DskipTests test-compile || mvn -q -DskipTests test-compile
export SPARK_HOME=$PWD/target/sparkhome SPARK_SCALA_VERSION=2.12 SPARK_LOCAL_IP=127.0.0.1 OMP_NUM_THREADS=1
flags=$(cat target/jvm-flags.txt)
# shellcheck disable=SC2086
java -Xmx4g $flags -Dsigmoe.jvm.flags="$flags" -cp "target/test-classes:target/classes:$(cat target/classpath.txt)" \
  sigmoe.spark.SparkBench "$@"
