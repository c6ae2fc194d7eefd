#!/usr/bin/env bash
# Trains a model: jobs/train.sh CONFIG [key=value ...] [--master M] [--resume] [--single-process]
# CONFIG is a name in conf/ (tiny-moe, wt-s-47m-moe, ...) or a path. Local Spark by default; with SPARK_HOME set and a
# cluster --master, the job goes through spark-submit. The last output line is a JSON summary.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$SIGMOE_ROOT"
sigmoe_run train "$@"
