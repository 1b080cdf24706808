#!/usr/bin/env bash
# The test command: set up, build, then the fast unit set (no child process, no server) so a mistake
# fails in seconds, then every test against real servers on loopback. Test files run one at a time:
# each starts its own model workers, and two cores are shared by all of them.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# Format and lint gate (Biome): a formatting or lint error fails the tests before any server starts.
node_modules/.bin/biome ci --colors=off --diagnostic-level=error .
# The worker's Python lint (pyflakes + pycodestyle through Debian's flake8; settings in .flake8).
/usr/bin/python3 -m flake8 services/transcriber/worker bench
node --test --test-concurrency=1 dist/test/unit/*.test.js
node --test --test-concurrency=1 dist/test/*.test.js
