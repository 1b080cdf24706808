# Transcriber with the GPU backends: WhisperX (faster-whisper/CTranslate2) and pyannote.audio.
# Not built in this project's CI: it needs PyPI and the PyTorch wheel index (see docs/deploy.md).
# The pins are the contract services/transcriber/worker is written against, checked call by call with
# `bash scripts/check-upstream.sh` (docs/upstream-checks.md). What each comes from:
# - whisperx 3.8.4's pyproject asks for torch ~= 2.8.0, torchaudio ~= 2.8.0, faster-whisper >= 1.2.0,
#   ctranslate2 >= 4.5.0, pyannote-audio >= 4.0.0, transformers >= 4.48.0 and huggingface-hub < 1.0.0,
#   and names the cu128 PyTorch index. It pins neither torchvision (nothing here imports it, so the
#   image has none) nor torchcodec.
# - torchcodec: pyannote.audio 4 decodes with it (>= 0.6.0); 0.7.0 is the release built for torch 2.8.
# - transformers is not pinned here and resolves to 4.57.x: transformers 5 needs huggingface-hub >= 1.0,
#   which whisperx's huggingface-hub < 1.0 excludes. The hf backend therefore runs on 4.57 in this image.
# Change them together, and re-run scripts/check-upstream.sh against the new tags.
#
# cuDNN: the base is a CUDA runtime WITHOUT cuDNN. torch 2.8.0+cu128 brings its own cuDNN 9 and cuBLAS
# as pip wheels (nvidia-cudnn-cu12, nvidia-cublas-cu12); a system cuDNN beside them (the *-cudnn-*
# bases) gives two cuDNN builds in one process, and CTranslate2, imported first, can load the other one
# (whisperX CUDNN_TROUBLESHOOTING.md, CTranslate2 issue 1826, faster-whisper issue 1086). As
# faster-whisper's README (v1.2.1, "GPU" section) says, LD_LIBRARY_PATH points at the pip libraries so
# CTranslate2 finds the same cuDNN torch loads.
ARG BASE_IMAGE=nvidia/cuda:12.8.1-runtime-ubuntu22.04
FROM ${BASE_IMAGE}
ARG NODE_MAJOR=20
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update && apt-get install -y --no-install-recommends \
      curl ca-certificates python3 python3-pip ffmpeg sox protobuf-compiler \
    && curl -fsSL https://deb.nodesource.com/setup_${NODE_MAJOR}.x | bash - \
    && apt-get install -y --no-install-recommends nodejs \
    && rm -rf /var/lib/apt/lists/*
# One resolve, torch from the cu128 index beside PyPI (the pairing whisperx's pyproject names), so pip
# cannot pick a torch build for another CUDA.
RUN pip3 install --no-cache-dir --extra-index-url https://download.pytorch.org/whl/cu128 \
      torch==2.8.0 torchaudio==2.8.0 torchcodec==0.7.0 \
      whisperx==3.8.4 faster-whisper==1.2.1 ctranslate2==4.6.0 pyannote.audio==4.0.1 \
      numpy scipy
# Ubuntu 22.04's python3 is 3.10 and root's pip installs into /usr/local/lib/python3.10/dist-packages.
# The build fails here, not at the first request, if those folders are not where LD_LIBRARY_PATH says.
ENV PIP_NVIDIA=/usr/local/lib/python3.10/dist-packages/nvidia
ENV LD_LIBRARY_PATH=/usr/local/lib/python3.10/dist-packages/nvidia/cudnn/lib:/usr/local/lib/python3.10/dist-packages/nvidia/cublas/lib:${LD_LIBRARY_PATH}
RUN test -d "$PIP_NVIDIA/cudnn/lib" && test -d "$PIP_NVIDIA/cublas/lib" \
    && python3 -c 'import nvidia.cudnn.lib, nvidia.cublas.lib'
# pyannote.audio 4 sends usage metrics by default (telemetry/config.yaml: metrics_enabled: true);
# telemetry/metrics.py reads this variable first and sets it from that file only when it is unset.
ENV PYANNOTE_METRICS_ENABLED=false
# No NLTK data: only whisperx.align() loads punkt_tab (alignment.py), and the worker aligns with its own
# code (backends/alignment.py), so importing whisperx.alignment needs the nltk package (a whisperx
# dependency) and no data.
RUN useradd --create-home --uid 1000 --shell /usr/sbin/nologin callscribe \
    && mkdir -p /home/callscribe/.cache/huggingface \
    && chown -R callscribe:callscribe /home/callscribe/.cache
ENV HF_HOME=/home/callscribe/.cache/huggingface
WORKDIR /app
COPY package.json package-lock.json ./
RUN ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund --loglevel=error
COPY . .
RUN npm run --silent build
ENV CALLSCRIBE_PYTHON=/usr/bin/python3
USER callscribe
# The listen address as the environment (a flag would sit in CMD), so `docker run IMAGE doctor` and
# `docker-compose run --rm transcriber doctor` reach the doctor with the service's settings.
ENV TRANSCRIBER_LISTEN=0.0.0.0:50052
ENTRYPOINT ["node", "dist/services/transcriber/src/main.js"]
CMD []
