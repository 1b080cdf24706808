#!/usr/bin/env bash
# Installs everything callscribe needs on Debian: system packages through apt (sudo when not root),
# node modules through npm ci, then builds. Safe to run again: it only does what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# espeak-ng + sox: speech for tests and the demo corpus. pocketsphinx*: the embedded CPU engine and
# its English model, used through Debian's own /usr/bin/python3. numpy/scipy: the worker and the
# CPU diarizer. protobuf-compiler: protoc for code generation. ffmpeg: MP3/FLAC/OGG/M4A/WebM decoding.
# chromium: the test that opens the loadgen's HTML report in a headless browser (playwright-core drives it).
# python3-flake8: the worker's lint (pyflakes + pycodestyle, .flake8), run beside Biome.
# openssl: the TLS tests make a throw-away CA and certificates with it.
# curl: the HTTP test sends the upload exactly as existing users do (curl -F).
APT_PACKAGES=(python3 python3-numpy python3-scipy python3-flake8 python3-pocketsphinx pocketsphinx pocketsphinx-en-us espeak-ng sox protobuf-compiler ffmpeg chromium openssl curl)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

node -e 'const [a,b]=process.versions.node.split(".").map(Number); if (a<20||(a===20&&b<3)) { console.error("setup: Node.js >= 20.3 is required, found "+process.versions.node); process.exit(1) }'

# onnxruntime-node ships its CPU binaries in the package; its install step would also fetch CUDA
# binaries from the network, which we skip (the switch is documented in its script/install.js).
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci"
  ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund --loglevel=error
fi

npm run --silent build
