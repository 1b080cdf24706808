"""Worker entry point: python -m callscribe_worker --backend sphinx|whisperx|hf|spectral|pyannote

Loads the engine or diarizer once, says "ready" (or "fatal" with the reason and exits 3), then
answers "transcribe" or "diarize" frames one at a time until stdin closes. A transcribe request is
answered per item (docs/worker-protocol.md): one chunk's failure never fails the rest of its batch.
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
import traceback
from typing import Any, Callable, Dict, Union

import numpy as np

from .backends import DIARIZERS, BackendLoadError, load_backend, load_diarizer
from .items import RequestError, transcribe_items
from .protocol import DiarizeResult, Error, Fatal, Ready, TranscribeResult, read_frame, write_message

EXIT_LOAD_FAILED = 3


Reply = Union[TranscribeResult, DiarizeResult]


def _transcribe(backend: Any, header: dict, audio: np.ndarray) -> Reply:
    return TranscribeResult(id=header["id"], elapsedMs=0.0, items=transcribe_items(backend, header, audio))


def pinned_gpu(device: str) -> str:
    """The CUDA device this process is pinned to: CUDA_VISIBLE_DEVICES (an index or a UUID) when it
    names one device, "0" when unpinned on CUDA (torch and CTranslate2 then use device 0), "" on CPU."""
    if not device.startswith("cuda"):
        return ""
    visible = os.environ.get("CUDA_VISIBLE_DEVICES", "").strip()
    return visible.split(",")[0].strip() if visible else "0"


def _diarize(diarizer: Any, header: dict, audio: np.ndarray) -> Reply:
    regions = [(float(a), float(b)) for a, b in header.get("regions", [])]
    bounds = (int(header.get("minSpeakers", 0)), int(header.get("maxSpeakers", 0)))
    # A diarizer that weighs its speaker count says how sure it is (spectral); others only answer turns.
    counted = getattr(diarizer, "diarize_counted", None)
    turns, count = counted(audio, regions, *bounds) if counted is not None else (diarizer.diarize(audio, regions, *bounds), None)
    confidence = None if count is None else {"confidence": count.confidence, "alternatives": [{"speakers": k, "score": p} for k, p in count.alternatives]}
    return DiarizeResult(id=header["id"], elapsedMs=0.0, turns=[dataclasses.asdict(t) for t in turns], speakerCount=confidence)


def main() -> int:
    parser = argparse.ArgumentParser(prog="callscribe_worker")
    parser.add_argument("--backend", default="sphinx")
    args = parser.parse_args()
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    # Everything a library prints goes to stderr; stdout carries frames only.
    sys.stdout = sys.stderr
    handlers: Dict[str, Callable[[dict, np.ndarray], Reply]]
    try:
        if args.backend in DIARIZERS:
            diarizer = load_diarizer(args.backend)
            device = getattr(diarizer, "device", "cpu" if args.backend == "spectral" else "cuda")
            engine = {"backend": diarizer.name, "model": getattr(diarizer, "model", diarizer.name), "device": device, "compute_type": "float32", "languages": ["*"], "gpu": pinned_gpu(device)}
            handlers = {"diarize": lambda h, a: _diarize(diarizer, h, a)}
        else:
            backend = load_backend(args.backend)
            backend.info.gpu = pinned_gpu(backend.info.device)
            engine = dataclasses.asdict(backend.info)
            handlers = {"transcribe": lambda h, a: _transcribe(backend, h, a)}
    except BackendLoadError as exc:
        write_message(stdout, Fatal(message=str(exc)))
        return EXIT_LOAD_FAILED
    write_message(stdout, Ready(engine=engine))
    while True:
        frame = read_frame(stdin)
        if frame is None:
            return 0
        header, payload = frame
        handler = handlers.get(header.get("type", ""))
        if handler is None:
            write_message(stdout, Error(id=header.get("id"), message=f"this worker does not handle {header.get('type')!r} requests"))
            continue
        started = time.perf_counter()
        try:
            reply = handler(header, np.frombuffer(payload, dtype="<f4"))
            reply.elapsedMs = (time.perf_counter() - started) * 1000
            write_message(stdout, reply)
        except RequestError as exc:  # our own message, about the request's shape: safe to send
            write_message(stdout, Error(id=header.get("id"), message=str(exc)))
        except Exception:  # a bad request must not take the worker down; its details stay in stderr
            traceback.print_exc(file=sys.stderr)
            write_message(stdout, Error(id=header.get("id"), message=f"the worker failed to process this {header.get('type')} request"))


if __name__ == "__main__":
    sys.exit(main())
