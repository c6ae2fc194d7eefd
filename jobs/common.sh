# Shared launcher, sourced by every script in jobs/, data-prep/ and bench/:
#
#   source "$(dirname "$0")/../jobs/common.sh"
#   sigmoe_run prepare --tokenizer word ...      # runs `sigmoe prepare ...`
#
# sigmoe_build makes sure the project is built: target/classes, target/classpath.txt (full runtime classpath,
# Spark included) and target/jvm-flags.txt (Spark's Java 17 flags), rebuilt when pom.xml or src/main changed;
# offline Maven first, online when that fails (a fresh machine). For cluster runs also the shaded app jar.
#
# sigmoe_run SUB ARGS picks how to run from the --master in ARGS:
#   local masters (default local[*]):  java FLAGS -cp target/classes:CLASSPATH sigmoe.cli.Main SUB ARGS
#                                      with SPARK_LOCAL_IP=127.0.0.1, OMP_NUM_THREADS (default: all cores) and
#                                      OPENBLAS_THREAD_TIMEOUT=4 (OpenBLAS threads sleep when idle; docs/performance.md)
#   other masters with SPARK_HOME set: $SPARK_HOME/bin/spark-submit --class sigmoe.cli.Main target/*-app.jar ...
#
# Environment: SIGMOE_JAVA_OPTS (extra JVM options for local runs, e.g. -Xmx8g),
#              SIGMOE_SUBMIT_OPTS (extra spark-submit options, e.g. "--executor-memory 8g"),
#              SIGMOE_SKIP_BUILD=1 (use target/ as it is).

SIGMOE_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# true when target/$1 is missing or older than pom.xml or anything in src/main
_sigmoe_stale() {
  local stamp="$SIGMOE_ROOT/target/$1"
  [[ ! -f $stamp ]] && return 0
  [[ -n $(find "$SIGMOE_ROOT/pom.xml" "$SIGMOE_ROOT/src/main" -newer "$stamp" -print -quit) ]]
}

_sigmoe_mvn() { # goal: offline first, then online
  ( cd "$SIGMOE_ROOT" && { mvn -q -o -DskipTests "$@" || {
      echo "sigmoe: offline build failed, retrying online" >&2; mvn -q -DskipTests "$@"; }; } )
}

# sigmoe_build [package]
sigmoe_build() {
  [[ ${SIGMOE_SKIP_BUILD:-0} == 1 ]] && return 0
  local goal=${1:-compile} stamp=.sigmoe-compiled
  [[ $goal == package ]] && stamp=.sigmoe-packaged
  mkdir -p "$SIGMOE_ROOT/target"
  (
    # one build at a time when several scripts start together
    command -v flock >/dev/null && { exec 9>"$SIGMOE_ROOT/target/.sigmoe-build.lock"; flock 9; }
    if _sigmoe_stale "$stamp" || [[ ! -f $SIGMOE_ROOT/target/classpath.txt || ! -f $SIGMOE_ROOT/target/jvm-flags.txt ]]; then
      echo "sigmoe: building ($goal)..." >&2
      local before; before=$(date +%s)
      touch "$SIGMOE_ROOT/target/.sigmoe-build-start"
      _sigmoe_mvn "$goal" || { echo "sigmoe: build failed" >&2; exit 1; }
      mv "$SIGMOE_ROOT/target/.sigmoe-build-start" "$SIGMOE_ROOT/target/$stamp"
      [[ $goal == package ]] && cp -p "$SIGMOE_ROOT/target/$stamp" "$SIGMOE_ROOT/target/.sigmoe-compiled"
      echo "sigmoe: built in $(( $(date +%s) - before )) s" >&2
    fi
  )
}

# the value of --master in the arguments, or local[*]
_sigmoe_master() {
  local m="local[*]"
  while [[ $# -gt 0 ]]; do
    case $1 in
      --master) m=${2:-}; shift ;;
      --master=*) m=${1#--master=} ;;
    esac
    shift
  done
  echo "$m"
}

# sigmoe_run SUBCOMMAND ARGS...
sigmoe_run() {
  local master; master=$(_sigmoe_master "$@")
  # idle OpenBLAS threads sleep at once instead of spinning ~0.1 s after each GEMM (docs/performance.md, Session 3)
  export OPENBLAS_THREAD_TIMEOUT=${OPENBLAS_THREAD_TIMEOUT:-4}
  local flags
  if [[ $master == local* ]]; then
    sigmoe_build compile || return 1
    flags=$(cat "$SIGMOE_ROOT/target/jvm-flags.txt")
    export SPARK_LOCAL_IP=127.0.0.1
    export OMP_NUM_THREADS=${OMP_NUM_THREADS:-$(nproc)}
    # shellcheck disable=SC2086  # flags are a list of words by design
    java ${SIGMOE_JAVA_OPTS:-} $flags -cp "$SIGMOE_ROOT/target/classes:$(cat "$SIGMOE_ROOT/target/classpath.txt")" \
      sigmoe.cli.Main "$@"
    return
  fi
  if [[ -z ${SPARK_HOME:-} ]]; then
    echo "sigmoe: --master $master needs spark-submit: set SPARK_HOME to a Spark 3.5 installation" >&2
    return 2
  fi
  sigmoe_build package || return 1
  flags=$(cat "$SIGMOE_ROOT/target/jvm-flags.txt")
  local jar; jar=$(ls "$SIGMOE_ROOT"/target/*-app.jar 2>/dev/null | head -1)
  [[ -n $jar ]] || { echo "sigmoe: no target/*-app.jar after the build" >&2; return 1; }
  # --conf KEY=VALUE arguments also go to spark-submit itself (launch-time settings such as executor memory)
  local confs=() prev=""
  for a in "$@"; do
    [[ $prev == --conf ]] && confs+=(--conf "$a")
    [[ $a == --conf=* ]] && confs+=(--conf "${a#--conf=}")
    prev=$a
  done
  # shellcheck disable=SC2086
  "$SPARK_HOME/bin/spark-submit" --master "$master" --class sigmoe.cli.Main "${confs[@]}" \
    --driver-java-options "$flags" --conf "spark.executor.extraJavaOptions=$flags" \
    --conf "spark.executorEnv.OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}" \
    --conf "spark.executorEnv.OPENBLAS_THREAD_TIMEOUT=${OPENBLAS_THREAD_TIMEOUT:-4}" ${SIGMOE_SUBMIT_OPTS:-} \
    "$jar" "$@"
}
