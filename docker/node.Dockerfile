# The Node services' images, Debian bookworm, in stages (compose picks one with `target:`):
#   build        dev dependencies, protoc, tsc (and espeak-ng, sox, curl for the seed)
#   dev          `build` as uid 1000: the CPU stack's dev tools (the s3rver store and the sample seed),
#                which need the devDependencies anyway
#   node         gateway, loadgen, upload: production modules, dist, proto and package.json only
#   transcriber  the CPU transcriber: the same plus Debian's python3, numpy/scipy, pocketsphinx, ffmpeg
# BASE_IMAGE is any bookworm image with Node.js >= 20.3 on PATH: the public one by default, or the
# local one scripts/docker-base-image.sh makes where no registry is reachable (scripts/test-compose.sh
# passes it; docs/deploy.md has the .env line).
# Every stage a service runs ends as uid 1000, not root; compose runs the services that read or write
# host files as the invoking user instead (CALLSCRIBE_UID), a uid with no passwd entry and so no
# home: HOME=/tmp, the container's own, keeps the loadgen's S3 cache (~/.cache/callscribe) writable.
# Few steps, and few after the source is copied: the vfs storage driver (Docker in Docker, machines
# without overlayfs) copies the whole tree for every step, ENV and USER included.
ARG BASE_IMAGE=node:20-bookworm-slim

FROM ${BASE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# System packages and node modules are one step (see above).
# onnxruntime-node ships its CPU binaries; ONNXRUNTIME_NODE_INSTALL=skip skips its CUDA download.
RUN apt-get update && apt-get install -y --no-install-recommends protobuf-compiler espeak-ng sox curl \
    && rm -rf /var/lib/apt/lists/* \
    && ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund --no-update-notifier --loglevel=error \
    && rm -rf /root/.npm
COPY . .
# /data: the s3 service's named volume takes this folder's owner on first use, so s3rver (uid 1000)
# can write to it.
RUN npm run --silent build && mkdir -p /data && chown 1000:1000 /data

FROM build AS dev
ENV HOME=/tmp
USER 1000:1000

# What the runtime stages copy, gathered into one folder so each of them adds one layer, not five.
# onnxruntime-node carries macOS and Windows binaries (220 MB) that a Linux image never loads.
FROM build AS runtime-files
RUN npm prune --omit=dev --no-audit --no-fund --no-update-notifier --loglevel=error \
    && rm -rf node_modules/onnxruntime-node/bin/*/darwin node_modules/onnxruntime-node/bin/*/win32 \
    && mkdir -p /out/dist /out/services/transcriber \
    && mv node_modules package.json proto /out/ \
    && mv dist/gen dist/services dist/loadgen dist/dev /out/dist/ \
    && mv services/transcriber/worker /out/services/transcriber/ \
    && find /out/services -name __pycache__ -prune -exec rm -rf {} + \
    && rm -rf /out/services/transcriber/worker/tests

# COPY writes as root whatever USER says, so USER comes first and a source change repeats one step.
FROM ${BASE_IMAGE} AS node
WORKDIR /app
ENV HOME=/tmp
USER 1000:1000
COPY --from=runtime-files /out/ /app/

# Last, so a build without --target gives an image that runs every Node service.
FROM ${BASE_IMAGE} AS transcriber
WORKDIR /app
# The worker's engines and decoders, as Debian packages (bookworm's scipy brings a C++ toolchain
# through pythran: a hard dependency, not a recommend). ffmpeg decodes what the sniffers do not know.
RUN apt-get update && apt-get install -y --no-install-recommends \
      python3 python3-numpy python3-scipy python3-pocketsphinx pocketsphinx pocketsphinx-en-us ffmpeg \
    && rm -rf /var/lib/apt/lists/*
ENV HOME=/tmp
USER 1000:1000
COPY --from=runtime-files /out/ /app/
