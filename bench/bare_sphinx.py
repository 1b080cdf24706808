"""The bare engine for bench:service: pocketsphinx with the worker's own settings, one whole file
per decode (no VAD, no service), files spread over N processes. Prints JSON totals."""
from __future__ import annotations

import json
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np

sys.path.insert(0, sys.argv[1])
from callscribe_worker.backends.sphinx import SphinxBackend  # noqa: E402

_backend = None


def _decode(path: str) -> tuple[float, int]:
    global _backend
    if _backend is None:
        _backend = SphinxBackend()
    # sox reads every format the corpus has and resamples to the model's 16 kHz mono.
    raw = subprocess.run(["sox", "-D", path, "-t", "f32", "-r", "16000", "-c", "1", "-"], check=True, capture_output=True).stdout
    audio = np.frombuffer(raw, dtype="<f4")
    segments = _backend.transcribe_batch([audio], "en", False)[0]
    return len(audio) / 16000.0, sum(len(s.words) for s in segments)


def main() -> None:
    workers = int(sys.argv[2])
    files = sys.argv[3:]
    with ProcessPoolExecutor(workers) as pool:
        list(pool.map(_decode, files[:workers]))  # load the model in every process first
        started = time.perf_counter()
        results = list(pool.map(_decode, files))
        wall = time.perf_counter() - started
    print(json.dumps({"audioSec": sum(r[0] for r in results), "wallSec": wall, "words": sum(r[1] for r in results)}))


if __name__ == "__main__":
    main()
