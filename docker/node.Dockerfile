# Gateway, loadgen, the CPU transcriber (sphinx) and the compose file's S3 store and seed: one image,
# Debian bookworm, as the two commands expect. BASE_IMAGE is any bookworm image with Node.js >= 20.3
# on PATH: the public one by default, or the local one scripts/docker-base-image.sh makes where no
# registry is reachable (scripts/test-compose.sh passes it).
ARG BASE_IMAGE=node:20-bookworm-slim
FROM ${BASE_IMAGE}
WORKDIR /app
COPY package.json package-lock.json ./
# Few layers on purpose: the vfs storage driver (Docker in Docker, machines without overlayfs) copies
# the whole tree for every step and container, so system packages and node modules are one step.
# curl: the seed's upload through the gateway's HTTP endpoint, as existing users call it.
# onnxruntime-node ships its CPU binaries; ONNXRUNTIME_NODE_INSTALL=skip skips its CUDA download.
RUN apt-get update && apt-get install -y --no-install-recommends \
      python3 python3-numpy python3-scipy python3-pocketsphinx pocketsphinx pocketsphinx-en-us \
      espeak-ng sox protobuf-compiler ffmpeg curl \
    && rm -rf /var/lib/apt/lists/* \
    && ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund --no-update-notifier --loglevel=error \
    && rm -rf /root/.npm
COPY . .
RUN npm run --silent build
