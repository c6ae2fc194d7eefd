#!/usr/bin/env bash
# Spark GPU resource discovery script (spark.executor.resource.gpu.discoveryScript): prints the GPUs this executor
# may use as {"name":"gpu","addresses":["0","1",...]}. Honours CUDA_VISIBLE_DEVICES when the cluster manager sets it.
set -euo pipefail
if [[ -n ${CUDA_VISIBLE_DEVICES:-} ]]; then
  ids=$(echo "$CUDA_VISIBLE_DEVICES" | tr ',' '\n' | awk 'NF{printf "%s\"%d\"", (n++ ? "," : ""), NR-1}')
else
  ids=$(nvidia-smi --query-gpu=index --format=csv,noheader 2>/dev/null | awk 'NF{printf "%s\"%s\"", (n++ ? "," : ""), $1}')
fi
echo "{\"name\":\"gpu\",\"addresses\":[${ids}]}"
