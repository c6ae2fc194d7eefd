#!/usr/bin/env bash
# Loss / perplexity / bits per character of a model checkpoint on a split, with the paper's protocol (paper.md §6,
# formats.md §3): B contiguous streams of T-token segments, each with an XL memory of M segments that starts empty.
#
#   jobs/eval.sh --checkpoint URI --data URI --split valid|test [--segment T] [--mem-segments M] [--batch B]
#                [--max-segments N] [--distributed [--master M] [--partitions P]] [--progress-interval S]
#
# Defaults: T = the checkpoint's segment_length metadata (else 256), M = 4, B = 4 (the paper's test setting).
# --distributed shares the B streams among Spark tasks (contiguous ranges); the numbers are the same.
# Output: progress lines, then as the LAST line one JSON object:
#   {"checkpoint":..., "step":..., "split":..., "segment":T, "mem_segments":M, "batch":B, "tokens":N,
#    "loss":nats/token, "ppl":exp(loss), "bpc":loss/ln2, ...}
# Example:
#   jobs/eval.sh --checkpoint runs/quickstart/checkpoints/step-500/model.safetensors \
#                --data runs/quickstart/corpus --split test | tail -1
# Exit codes: 0 ok, 1 failure (bad data, I/O), 2 usage error. `--help` lists every option.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
sigmoe_run eval "$@"
