#!/usr/bin/env bash
# The GPU check: worker start, decode throughput at batch 1/8/16/48 with peak GPU memory, cross-request
# batching on vs off at 16 concurrent requests through the real transcriber, one poisoned item in a
# batch. The hf backend with a randomly initialised Whisper (HF_WHISPER_RANDOM, default large-v3):
# no weights, no network. Writes one JSON file. Sized to finish within 8 minutes on one H100-class
# GPU (an estimate: it has not run on a GPU yet). Exit 1 if a step failed; the JSON says which.
#
#   bash scripts/gpu-check.sh [OUT.json]        # default: $OUT/gpu-check.json, else results/gpu-check.json
#
# Needs: a built tree (npx tsc -p tsconfig.json) with node_modules; a Python with torch and
# transformers (PYTHON or CALLSCRIBE_PYTHON, default python3); Node (NODE, default node).
# GPU_CHECK_SMOKE=1: the same path, tiny (random tiny model, batches 1/2, 2 requests), on CPU unless
# HF_WHISPER_DEVICE says otherwise; its figures mean nothing. GPU_CHECK_MODEL=tiny|base|small|medium|large-v3.
# Exit: 0 done, 1 a check failed, 2 this machine cannot run it (the message says what is missing).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
node="${NODE:-node}"
python="${PYTHON:-${CALLSCRIBE_PYTHON:-python3}}"
out="${1:-${OUT:+$OUT/gpu-check.json}}"
out="${out:-results/gpu-check.json}"

missing() {
  echo "gpu-check: $1" >&2
  exit 2
}
command -v "$node" >/dev/null 2>&1 || missing "no Node at '$node'; set NODE=/path/to/node"
[ -f dist/bench/gpu-check.js ] || missing "dist/bench/gpu-check.js is not built; run: npx tsc -p tsconfig.json"
[ -d node_modules ] || missing "no node_modules; run: npm ci (or carry node_modules to this machine)"
command -v "$python" >/dev/null 2>&1 || missing "no Python at '$python'; set PYTHON=/path/to/python3"
if ! why=$("$python" -c 'import torch, transformers; print(torch.__version__, transformers.__version__)' 2>&1); then
  missing "$python cannot import torch and transformers (${why##*$'\n'}); install them (pip install torch transformers) or set PYTHON to a Python that has them"
fi
echo "gpu-check: torch and transformers $why; $("$node" --version)" >&2
if [ "${GPU_CHECK_SMOKE:-0}" != "1" ]; then
  "$python" -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)' \
    || missing "torch sees no CUDA device; run on a GPU host, or GPU_CHECK_SMOKE=1 for the CPU smoke run"
fi
mkdir -p "$(dirname "$out")"
CALLSCRIBE_PYTHON="$python" exec "$node" dist/bench/gpu-check.js "$out"
