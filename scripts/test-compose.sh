#!/usr/bin/env bash
# npm run test:compose: the CPU compose file, built and really run. Builds the images on a local base
# (scripts/docker-base-image.sh, reused after the first run; BASE_IMAGE=node:20-bookworm-slim uses the
# public one instead), brings up transcriber + gateway + s3 + the one-shot seed, runs the loadgen
# container against the gateway from the S3 service, checks what it and the seed's curl wrote
# (dev/compose/check-results-main.ts) and that every result file belongs to the invoking user, then
# SIGKILLs the transcriber's process and waits for the restart policy to bring it back and the
# gateway to transcribe again (within RESTART_BOUND_S, 120 s), and tears everything down, on failure
# too. Needs a running Docker engine and Compose (v2 plugin or v1 docker-compose); not part of
# `npm test` (BENCHMARKS.md).
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
env_file="$results.env"
probe="$results.probe.wav"
levels="1,2"
restart_bound_s="${RESTART_BOUND_S:-120}"
# The containers run as the invoking user, so the results are theirs. Run as root (sudo, or a CI
# machine), they run as the sudo user, else as uid 1000: the point is to prove they are not root.
uid="$(id -u)" gid="$(id -g)"
if [ "$uid" = 0 ]; then uid="${SUDO_UID:-1000}" gid="${SUDO_GID:-1000}"; chown "$uid:$gid" "$results"; fi
export CALLSCRIBE_UID="$uid" CALLSCRIBE_GID="$gid"
# Host ports 0: Docker picks free ones, so the test never collides with a stack already running.
export CALLSCRIBE_RESULTS="$results" GATEWAY_GRPC_PORT=0 GATEWAY_HTTP_PORT=0 S3_PORT=0 LOADGEN_SWEEP="$levels"
export CALLSCRIBE_TAG="local"
# The developer's own .env (keys, TLS, other ports) must not change what this test runs.
: >"$env_file"
# Compose v1 gives the engine 60 s per call; creating a container copies the whole 2.4 GB image on
# the vfs storage driver, which takes longer than that on a loaded machine.
export COMPOSE_HTTP_TIMEOUT="${COMPOSE_HTTP_TIMEOUT:-600}"
dc() { "${compose[@]}" -p "$project" -f docker-compose.yml --env-file "$env_file" "$@"; }
# The container of a service, running or exited, by Compose's labels (v1 and v2 alike; `ps` differs).
cid() {
  docker ps -aq --filter "label=com.docker.compose.project=$project" --filter "label=com.docker.compose.service=$1"
}

cleanup() {
  local rc=$?
  if [ "$rc" -ne 0 ]; then
    say "failed (exit $rc); last log lines of each service:"
    dc --profile load logs --no-color --tail 40 2>&1 || true
  fi
  dc --profile load down --volumes --remove-orphans --timeout 20 >/dev/null 2>&1 || true
  rm -rf "$results" "$build_log" "$env_file" "$probe" 2>/dev/null || say "left $results behind (files the containers wrote as root)"
  say "torn down after $(($(date +%s) - started)) s"
}
trap cleanup EXIT

phase "both compose files parse"
dc config -q
MINIO_ROOT_PASSWORD=parse-check-only "${compose[@]}" -f docker-compose.gpu.yml --env-file "$env_file" config -q
phase "building callscribe-{transcriber,node,dev}:$CALLSCRIBE_TAG on $BASE_IMAGE, running as uid $uid"
# The build's apt and npm output is long: kept in a file, shown only when the build fails.
dc build ${build_flags[@]+"${build_flags[@]}"} >"$build_log" 2>&1 || { tail -40 "$build_log"; exit 1; }
phase "starting transcriber, gateway, s3 and the seed"
dc up -d transcriber gateway s3 seed
seed_rc="$(docker wait "$(cid seed)")"
dc logs --no-color seed
[ "$seed_rc" = 0 ] || { say "the seed exited $seed_rc"; exit 1; }
phase "loadgen from s3://call-recordings/samples/ against gateway:50051, sweep $levels"
dc --profile load run --rm --no-deps loadgen
phase "checking the results"
node dist/dev/compose/check-results-main.js "$results" "$levels"

phase "checking who owns the result files"
[ "$uid" != 0 ] || { say "the containers would run as root"; exit 1; }
files="$(find "$results" -mindepth 1 | wc -l)"
foreign="$(find "$results" -mindepth 1 ! -uid "$uid" -printf '%u %p\n' | head -5)"
[ "$files" -gt 0 ] && [ -z "$foreign" ] || { say "result files not owned by uid $uid: ${foreign:-none written}"; exit 1; }
say "  ok: all $files result files and folders belong to uid $uid"

# A crash, not a stop: SIGKILL to the container's main process from the host, as the OOM killer or a
# fault would end it. `docker kill` would not do: Docker counts it as a manual stop, and no restart
# policy restarts a container after it (checked on Docker 20.10). The policy, not this script, must
# bring the transcriber back: nothing here starts it.
phase "restart: SIGKILL the transcriber's process; the gateway must transcribe again within $restart_bound_s s"
docker cp "$(cid seed):/tmp/corpus/call-01-stereo-8k-mulaw.wav" "$probe"
http="http://$(dc port gateway 8002 | tail -1)"
transcriber="$(cid transcriber)"
killed_at="$(date +%s)"
kill -KILL "$(docker inspect -f '{{.State.Pid}}' "$transcriber")"
answer=""
until answer="$(curl -sf --max-time 30 -F "file=@$probe" "$http/asr/upload_file" 2>/dev/null)" &&
  grep -q '"sentence":"[^"]' <<<"$answer"; do
  if [ $(($(date +%s) - killed_at)) -ge "$restart_bound_s" ]; then
    say "the gateway did not transcribe within $restart_bound_s s of the kill (transcriber: $(docker inspect \
      -f '{{.State.Status}}, restarted {{.RestartCount}} times' "$transcriber"))"
    exit 1
  fi
  sleep 1
done
restarts="$(docker inspect -f '{{.RestartCount}}' "$transcriber")"
[ "$restarts" -ge 1 ] || { say "the transcriber answered without being restarted: was it killed?"; exit 1; }
say "  ok: transcriber restarted by its policy ($restarts time), gateway transcribing again $(($(date +%s) - killed_at)) s after the kill"
phase "passed"
