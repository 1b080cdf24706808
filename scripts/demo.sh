#!/usr/bin/env bash
# The main command: set up, then run the demo load test on the embedded CPU stack.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
node dist/dev/demo/main.js "$@"
