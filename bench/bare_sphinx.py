"""The bare engine for bench:service: pocketsphinx with the worker's own settings, one whole file
per decode (no VAD, no service), files spread over N processes that keep their model loaded.

argv: worker dir, N, warm-up files. Loads the model in every process, decodes the warm-up files,
prints "ready"; then for each line on stdin (a JSON list of files) decodes them all and prints one
line of JSON totals. Rounds on request let bench:service alternate this arm with the service's.
"""
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


def _load() -> None:
    global _backend
    _backend = SphinxBackend()


def _decode(path: str) -> tuple[float, int]:
    # sox reads every format the corpus has and resamples to the model's 16 kHz mono.
    raw = subprocess.run(["sox", "-D", path, "-t", "f32", "-r", "16000", "-c", "1", "-"], check=True, capture_output=True).stdout
    audio = np.frombuffer(raw, dtype="<f4")
    result = _backend.transcribe_batch([audio], ["en"], False)[0]
    return len(audio) / 16000.0, sum(len(s.words) for s in result.segments)


def main() -> None:
    workers = int(sys.argv[2])
    with ProcessPoolExecutor(workers, initializer=_load) as pool:
        list(pool.map(_decode, sys.argv[3:]))
        print("ready", flush=True)
        for line in sys.stdin:
            files = json.loads(line)
            started = time.perf_counter()
            results = list(pool.map(_decode, files))
            wall = time.perf_counter() - started
            totals = {"audioSec": sum(r[0] for r in results), "wallSec": wall, "words": sum(r[1] for r in results)}
            print(json.dumps(totals), flush=True)


if __name__ == "__main__":
    main()
