# Transcriber with the GPU backends: WhisperX (faster-whisper/CTranslate2) and pyannote.audio.
# Not built in this project's CI: it needs PyPI and the PyTorch wheel index (see docs/deploy.md).
# The pins are the contract services/transcriber/worker is written against: whisperx 3.8.4's own
# pyproject asks for torch ~= 2.8.0, torchaudio ~= 2.8.0, torchvision ~= 0.23.0, torchcodec < 0.8,
# pyannote-audio >= 4, faster-whisper >= 1.2, ctranslate2 >= 4.5 and the cu128 PyTorch index. Change them
# together, and run the worker's tests (services/transcriber/worker/tests) against the new set.
ARG BASE_IMAGE=nvidia/cuda:12.8.1-cudnn-runtime-ubuntu22.04
FROM ${BASE_IMAGE}
ARG NODE_MAJOR=20
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update && apt-get install -y --no-install-recommends \
      curl ca-certificates python3 python3-pip ffmpeg sox protobuf-compiler \
    && curl -fsSL https://deb.nodesource.com/setup_${NODE_MAJOR}.x | bash - \
    && apt-get install -y --no-install-recommends nodejs \
    && rm -rf /var/lib/apt/lists/*
# One resolve, torch from the cu128 index beside PyPI (the pairing whisperx's pyproject names), so pip
# cannot pick a torch build for another CUDA. torchcodec 0.7 is the one built against torch 2.8.
RUN pip3 install --no-cache-dir --extra-index-url https://download.pytorch.org/whl/cu128 \
      torch==2.8.0 torchaudio==2.8.0 torchvision==0.23.0 torchcodec==0.7.0 \
      whisperx==3.8.4 faster-whisper==1.2.1 ctranslate2==4.6.0 pyannote.audio==4.0.1 \
      numpy scipy nltk
# NLTK sentence data for alignment, baked in so the first request downloads nothing (whisperx 3.8
# builds its Punkt splitter from parameters; older alignment code and nltk's tokenizers load punkt_tab).
ENV NLTK_DATA=/usr/local/share/nltk_data
RUN python3 -m nltk.downloader -d /usr/local/share/nltk_data punkt_tab punkt
WORKDIR /app
COPY package.json package-lock.json ./
RUN ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund --loglevel=error
COPY . .
RUN npm run --silent build
ENV CALLSCRIBE_PYTHON=/usr/bin/python3
CMD ["node", "dist/services/transcriber/src/main.js", "--listen", "0.0.0.0:50052"]
