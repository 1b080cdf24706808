# Transcriber with the GPU backends: WhisperX (faster-whisper/CTranslate2) and pyannote.
FROM nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update && apt-get install -y --no-install-recommends \
      curl ca-certificates python3 python3-pip ffmpeg sox protobuf-compiler \
    && curl -fsSL https://deb.nodesource.com/setup_20.x | bash - \
    && apt-get install -y --no-install-recommends nodejs \
    && rm -rf /var/lib/apt/lists/*
RUN pip3 install --no-cache-dir whisperx pyannote.audio numpy scipy
WORKDIR /app
COPY package.json package-lock.json ./
RUN ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund
COPY . .
RUN npm run build
ENV CALLSCRIBE_PYTHON=/usr/bin/python3
CMD ["node", "dist/services/transcriber/src/main.js", "--listen", "0.0.0.0:50052"]
