#!/usr/bin/env bash
# Continues a prompt with text sampled from a model checkpoint, carrying Transformer-XL memory.
#
#   jobs/generate.sh --checkpoint URI --data URI --prompt TEXT [--tokens N] [--temperature t] [--top-k k]
#                    [--top-p p] [--seed s] [--segment T] [--memory N]
#
# --data is the prepared corpus the model was trained on: its tokenizer and vocabulary encode the prompt (word:
# whitespace words, unknown words become <unk>, a line break is <eos>; byte: UTF-8 bytes) and decode the output.
# Sampling: temperature (0 = greedy), then top-k (0 = off), then top-p (1 = off); the same --seed, the same text.
# Output: the generated text, then as the LAST line one JSON object {"prompt":..., "text":..., "tokens":N, "ids":[...], ...}.
# Example:
#   jobs/generate.sh --checkpoint runs/quickstart/checkpoints/step-500/model.safetensors \
#                    --data runs/quickstart/corpus --prompt "Call me Ishmael." --tokens 200 --temperature 0.8 --top-p 0.95
# Exit codes: 0 ok, 1 failure (bad data, I/O), 2 usage error. `--help` lists every option.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
sigmoe_run generate "$@"
