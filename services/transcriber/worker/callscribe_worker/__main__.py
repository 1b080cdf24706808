"""Worker entry point: python -m callscribe_worker --backend sphinx|whisperx|hf|spectral|pyannote

Loads the engine or diarizer once, says "ready" (or "fatal" with the reason and exits 3), then
answers "transcribe" or "diarize" frames one at a time until stdin closes. A transcribe request is
answered per item (docs/worker-protocol.md): one chunk's failure never fails the rest of its batch.

Exit codes: 0 stdin closed; 3 the backend cannot load (after a `fatal` frame); 4 a CUDA, cuBLAS or
cuDNN runtime error may have poisoned the device (device_errors.py): the request in flight gets no
answer, and the transcriber restarts the worker and retries that batch once elsewhere.
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
import traceback
from typing import Any, BinaryIO, Callable, Dict, List, Optional, Tuple, Union

import numpy as np

from .backends import DIARIZERS, BackendLoadError, load_backend, load_diarizer
from .device_errors import EXIT_DEVICE_ERROR, is_device_error
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


Handlers = Dict[str, Callable[[dict, np.ndarray], Reply]]


def load(name: str) -> Tuple[Dict[str, Any], Handlers]:
    """The engine description for `ready` and the handlers; BackendLoadError for any reason it cannot start."""
    try:
        if name in DIARIZERS:
            diarizer = load_diarizer(name)
            device = getattr(diarizer, "device", "cpu" if name == "spectral" else "cuda")
            engine = {"backend": diarizer.name, "model": getattr(diarizer, "model", diarizer.name), "device": device, "compute_type": "float32", "languages": ["*"], "gpu": pinned_gpu(device), "options": []}
            return engine, {"diarize": lambda h, a: _diarize(diarizer, h, a)}
        backend = load_backend(name)
        backend.info.gpu = pinned_gpu(backend.info.device)
        return dataclasses.asdict(backend.info), {"transcribe": lambda h, a: _transcribe(backend, h, a)}
    except BackendLoadError:
        raise
    except Exception as exc:  # a library that changed shape, a CUDA driver that refuses: still a reason to give, not a bare exit 1
        traceback.print_exc(file=sys.stderr)
        raise BackendLoadError(f"the {name} backend failed to start: {type(exc).__name__}: {exc}") from exc


def serve(handlers: Handlers, stdin: BinaryIO, stdout: BinaryIO) -> int:
    """Answers frames until stdin closes (0), or until the device is poisoned (EXIT_DEVICE_ERROR)."""
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
        except Exception as exc:  # a bad request must not take the worker down; its details stay in stderr
            traceback.print_exc(file=sys.stderr)
            if is_device_error(exc):
                # No answer: the transcriber sees the exit, restarts this worker and retries the batch.
                print(f"the device is in an error state; exiting with code {EXIT_DEVICE_ERROR} so that the worker is restarted", file=sys.stderr)
                sys.stderr.flush()
                return EXIT_DEVICE_ERROR
            write_message(stdout, Error(id=header.get("id"), message=f"the worker failed to process this {header.get('type')} request"))


def main(argv: Optional[List[str]] = None, stdin: Optional[BinaryIO] = None, stdout: Optional[BinaryIO] = None) -> int:
    parser = argparse.ArgumentParser(prog="callscribe_worker")
    parser.add_argument("--backend", default="sphinx")
    args = parser.parse_args(argv)
    stdin = stdin or sys.stdin.buffer
    stdout = stdout or sys.stdout.buffer
    # Everything a library prints goes to stderr; stdout carries frames only.
    sys.stdout = sys.stderr
    try:
        engine, handlers = load(args.backend)
    except BackendLoadError as exc:
        write_message(stdout, Fatal(message=str(exc)))
        return EXIT_LOAD_FAILED
    write_message(stdout, Ready(engine=engine))
    return serve(handlers, stdin, stdout)


if __name__ == "__main__":
    code = main()
    if code == EXIT_DEVICE_ERROR:
        # Interpreter teardown would run CUDA code (torch's and CTranslate2's finalizers) on the broken context.
        os._exit(code)
    sys.exit(code)
