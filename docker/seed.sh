#!/bin/sh
# The compose stack's one-shot seed (docker-compose.yml, service `seed`): sample calls into the S3
# bucket, then one call through the gateway's HTTP upload endpoint with curl, as existing users send
# it. The answer goes to /results/seed-curl.json for scripts/test-compose.sh to check.
set -eu

# The results folder is a host folder: when it is missing, Docker creates it as root, and this
# container (CALLSCRIBE_UID) cannot write there. Say so now, not as a failed write later.
if ! [ -w /results ]; then
  echo "seed: /results (CALLSCRIBE_RESULTS, default ./results) is not writable by uid $(id -u):" \
    "create it as that user before starting (mkdir -p results), or set CALLSCRIBE_UID/CALLSCRIBE_GID" \
    "in .env to its owner (id -u, id -g)" >&2
  exit 1
fi

corpus=/tmp/corpus
node dist/dev/compose/seed-main.js "$S3_ENDPOINT" "$SEED_BUCKET" "$SEED_PREFIX" "$corpus"

sample="$corpus/call-01-stereo-8k-mulaw.wav"
rm -f /results/seed-curl.json /results/seed-curl.skipped
# With keys on the gateway the seed presents one (through curl's config on stdin, not its command
# line, which any process can read); with TLS, the CA that signed the gateway's certificate.
auth=""
if [ -n "${CALLSCRIBE_API_KEY:-}" ]; then auth="header = \"authorization: Bearer $CALLSCRIBE_API_KEY\""; fi
set -- -H 'diarization: true' -F "file=@$sample"
if [ -n "${SEED_TLS_CA_FILE:-}" ]; then set -- "$@" --cacert "$SEED_TLS_CA_FILE"; fi
status=0
http_code=$(printf '%s\n' "$auth" | curl --config - -sS --max-time 300 -o /results/seed-curl.json \
  -w '%{http_code}' "$@" "$GATEWAY_HTTP_URL/asr/upload_file") || status=$?
if [ "$status" -ne 0 ]; then
  # A gateway built before the HTTP endpoint says so in its --help; only then is "nobody listening"
  # an expected answer rather than a failure.
  if node dist/services/gateway/src/main.js --help | grep -q 'not served yet'; then
    echo "this gateway does not serve HTTP yet (--http-listen: not served yet)" > /results/seed-curl.skipped
    echo "seed: curl skipped: $(cat /results/seed-curl.skipped)"
    exit 0
  fi
  echo "seed: curl $GATEWAY_HTTP_URL/asr/upload_file failed (curl exit $status)" >&2
  exit 1
fi
if [ "$http_code" != 200 ]; then
  echo "seed: POST /asr/upload_file answered HTTP $http_code: $(head -c 500 /results/seed-curl.json)" >&2
  exit 1
fi
echo "seed: POST /asr/upload_file answered 200 ($(wc -c < /results/seed-curl.json) bytes)"
