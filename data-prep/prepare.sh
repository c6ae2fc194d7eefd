#!/usr/bin/env bash
# Raw text -> prepared corpus (token shards + manifest, shared/spec/formats.md §1) with the Spark job `prepare`.
#
#   data-prep/prepare.sh --tokenizer word|byte|bpe --output URI
#       (--train URI --valid URI --test URI | --input URI [--split-ratios 0.9,0.05,0.05] [--split-bytes N,N,N])
#       [--min-count N] [--max-vocab N] [--vocab-size N] [--shard-tokens N] [--overwrite] [--master M] [--partitions N]
#
# URIs: any Hadoop FileSystem (file:, hdfs:, s3a:, plain paths); a directory or glob = its files in name order.
# Examples:
#   data-prep/fetch-corpora.sh data/corpora bench
#   data-prep/prepare.sh --tokenizer word --input data/corpora/sotu.txt --output data/sotu-word --min-count 3
#   data-prep/prepare.sh --tokenizer byte --input data/corpora/gcide.txt --output data/gcide-byte
#   (enwik8: --tokenizer byte --input enwik8 --split-bytes 90000000,5000000,5000000)
#   (WikiText-103 as in the paper: --tokenizer bpe --train wiki.train.tokens --valid ... --test ... [--vocab-size 8000])
# Exit codes: 0 ok, 1 failure (bad data, I/O), 2 usage error. `--help` lists every option.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../jobs/common.sh"
sigmoe_run prepare "$@"
