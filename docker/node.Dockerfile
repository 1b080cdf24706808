# Gateway and loadgen (and the CPU transcriber): Debian bookworm, as the two commands expect.
FROM node:20-bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends \
      python3 python3-numpy python3-scipy python3-pocketsphinx pocketsphinx pocketsphinx-en-us \
      espeak-ng sox protobuf-compiler ffmpeg \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
# onnxruntime-node ships its CPU binaries; skip its CUDA download (see scripts/setup.sh).
RUN ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund
COPY . .
RUN npm run build
