#!/usr/bin/env bash
# Run report: RUN_DIR/report/report.html with PNG charts (loss, expert load heatmaps, sorted loads, dead experts,
# usage perplexity, throughput, Spark round timings) from the run's metrics.jsonl and config.conf.
#
#   jobs/report.sh RUN_DIR        # RUN_DIR: any Hadoop FileSystem URI (local path, file:, hdfs:, s3a:)
#
# Prints the path of report.html as its last line. Exit codes: 0 done, 1 bad or missing run data, 2 usage error.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
# charts are drawn off-screen: no display needed, none used if present
SIGMOE_JAVA_OPTS="${SIGMOE_JAVA_OPTS:-} -Djava.awt.headless=true" sigmoe_run report "$@"
