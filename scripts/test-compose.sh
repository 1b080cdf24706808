#!/usr/bin/env bash
# npm run test:compose: the CPU compose file, built and really run. Builds the image on a local base
# (scripts/docker-base-image.sh, reused after the first run; BASE_IMAGE=node:20-bookworm-slim uses the
# public one instead), brings up transcriber + gateway + s3 + the one-shot seed, runs the loadgen
# container against the gateway from the S3 service, checks what it and the seed's curl wrote
# (dev/compose/check-results-main.ts), and tears everything down, on failure too. Needs a running
# Docker engine and Compose (v2 plugin or v1 docker-compose); not part of `npm test` (BENCHMARKS.md).
set -euo pipefail
cd "$(dirname "$0")/.."
say() { echo "test:compose: $*"; }
started=$(date +%s)
phase() { say "$1 ($(($(date +%s) - started)) s)"; }

# v1's classic builder leaves a failed step's container behind unless told not to; BuildKit (v2) does not.
if docker compose version >/dev/null 2>&1; then compose=(docker compose) build_flags=()
elif command -v docker-compose >/dev/null; then compose=(docker-compose) build_flags=(--force-rm)
else say "needs Docker Compose (docker compose or docker-compose)"; exit 2; fi
docker info >/dev/null 2>&1 || { say "no Docker engine answers: start dockerd (see docs/deploy.md)"; exit 2; }

# The checker runs on this host from the same build the image gets.
npm run --silent build
export BASE_IMAGE="${BASE_IMAGE:-$(bash scripts/docker-base-image.sh)}"
project="callscribe-test-$$"
results="$(mktemp -d "${TMPDIR:-/tmp}/callscribe-compose.XXXXXX")"
build_log="$results.build.log"
levels="1,2"
# Host ports 0: Docker picks free ones, so the test never collides with a stack already running.
export CALLSCRIBE_RESULTS="$results" GATEWAY_GRPC_PORT=0 GATEWAY_HTTP_PORT=0 S3_PORT=0 LOADGEN_SWEEP="$levels"
export CALLSCRIBE_IMAGE="callscribe:local"
# Compose v1 gives the engine 60 s per call; creating a container copies the whole 2.4 GB image on
# the vfs storage driver, which takes longer than that on a loaded machine.
export COMPOSE_HTTP_TIMEOUT="${COMPOSE_HTTP_TIMEOUT:-600}"
dc() { "${compose[@]}" -p "$project" -f docker-compose.yml "$@"; }

cleanup() {
  local rc=$?
  if [ "$rc" -ne 0 ]; then
    say "failed (exit $rc); last log lines of each service:"
    dc --profile load logs --no-color --tail 40 2>&1 || true
  fi
  dc --profile load down --volumes --remove-orphans --timeout 20 >/dev/null 2>&1 || true
  rm -rf "$results" "$build_log" 2>/dev/null || say "left $results behind (files the containers wrote as root)"
  say "torn down after $(($(date +%s) - started)) s"
}
trap cleanup EXIT

phase "building $CALLSCRIBE_IMAGE on $BASE_IMAGE"
# The build's apt and npm output is long: kept in a file, shown only when the build fails.
dc build ${build_flags[@]+"${build_flags[@]}"} >"$build_log" 2>&1 || { tail -40 "$build_log"; exit 1; }
phase "starting transcriber, gateway, s3 and the seed"
dc up -d transcriber gateway s3 seed
seed_rc="$(docker wait "$(dc ps -q seed)")"
dc logs --no-color seed
[ "$seed_rc" = 0 ] || { say "the seed exited $seed_rc"; exit 1; }
phase "loadgen from s3://call-recordings/samples/ against gateway:50051, sweep $levels"
dc --profile load run --rm --no-deps loadgen
phase "checking the results"
node dist/dev/compose/check-results-main.js "$results" "$levels"
phase "passed"
