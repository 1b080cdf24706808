"""Worker entry point: python -m callscribe_worker --backend sphinx

Loads the backend once, says "ready" (or "fatal" with the reason and exits 3), then answers
"transcribe" frames one at a time until stdin closes.
"""
from __future__ import annotations

import argparse
import dataclasses
import sys
import time
import traceback

import numpy as np

from .backends import BackendLoadError, load_backend
from .protocol import read_frame, write_frame

EXIT_LOAD_FAILED = 3


def main() -> int:
    parser = argparse.ArgumentParser(prog="callscribe_worker")
    parser.add_argument("--backend", default="sphinx")
    args = parser.parse_args()
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    # Everything a library prints goes to stderr; stdout carries frames only.
    sys.stdout = sys.stderr
    try:
        backend = load_backend(args.backend)
    except BackendLoadError as exc:
        write_frame(stdout, {"type": "fatal", "message": str(exc)})
        return EXIT_LOAD_FAILED
    write_frame(stdout, {"type": "ready", "engine": dataclasses.asdict(backend.info)})
    while True:
        frame = read_frame(stdin)
        if frame is None:
            return 0
        header, payload = frame
        if header.get("type") != "transcribe":
            write_frame(stdout, {"type": "error", "id": header.get("id"), "message": f"unknown request type {header.get('type')!r}"})
            continue
        started = time.perf_counter()
        try:
            audio = np.frombuffer(payload, dtype="<f4")
            chunks, offset = [], 0
            for item in header["items"]:
                chunks.append(audio[offset : offset + item["samples"]])
                offset += item["samples"]
            results = backend.transcribe_batch(chunks, header.get("language", ""), bool(header.get("wordTimestamps", True)))
            items = [{"segments": [dataclasses.asdict(s) for s in segments]} for segments in results]
            write_frame(stdout, {"type": "result", "id": header["id"], "items": items, "elapsedMs": (time.perf_counter() - started) * 1000})
        except Exception as exc:  # a bad batch must not take the worker down
            traceback.print_exc(file=sys.stderr)
            write_frame(stdout, {"type": "error", "id": header.get("id"), "message": f"{type(exc).__name__}: {exc}"})


if __name__ == "__main__":
    sys.exit(main())
