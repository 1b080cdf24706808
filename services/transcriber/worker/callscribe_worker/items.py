"""One answer per item: a batch mixes chunks of many callers, so one bad chunk fails only itself.

The batch runs whole first (that is where the GPU's throughput is). If the GPU runs out of memory,
the batch is halved and each half retried, down to one chunk. If the backend raises anything else,
the items are retried one at a time, and only the ones that fail again are answered with an error.
An error sent back is short and safe to show a client; the exception and its traceback go to
stderr. A CUDA error that may have poisoned the device is never caught here: it leaves as a
DeviceError and the worker exits (device_errors.py).
"""
from __future__ import annotations

import dataclasses
import sys
import traceback
from typing import Any, Dict, List, Optional, Sequence

import numpy as np

from .backends import Backend, Decoding, ItemResult
from .device_errors import is_out_of_memory, raise_if_device_error

INVALID_ARGUMENT = "invalid_argument"
INTERNAL = "internal"
FAILED_CHUNK = "transcription failed for this chunk"


class RequestError(ValueError):
    """The request as a whole is malformed (it is answered with a batch-level `error` frame)."""


def split_items(header: Dict[str, Any], audio: np.ndarray) -> List[np.ndarray]:
    items = header.get("items")
    if not isinstance(items, list):
        raise RequestError("transcribe request without an items list")
    chunks, offset = [], 0
    for item in items:
        samples = item.get("samples") if isinstance(item, dict) else None
        if not isinstance(samples, int) or samples < 0:
            raise RequestError("every item needs a non-negative integer samples count")
        chunks.append(audio[offset : offset + samples])
        offset += samples
    if offset != len(audio):
        raise RequestError(f"items add up to {offset} samples but the payload holds {len(audio)}")
    return chunks


def item_error(message: str, code: str) -> Dict[str, Any]:
    return {"error": message, "code": code}


def _result(r: ItemResult) -> Dict[str, Any]:
    # Word timings are what `aligned` promises: a segment without words has none, whatever the engine said.
    aligned = bool(r.aligned) and bool(r.segments) and all(s.words for s in r.segments)
    return {"segments": [dataclasses.asdict(s) for s in r.segments], "language": r.language, "aligned": aligned}


def _decoding(item: Dict[str, Any]) -> Decoding:
    """The item's prompt and temperature; a sender that predates them sends neither."""
    prompt, temperature = item.get("prompt", ""), item.get("temperature", 0.0)
    if not isinstance(prompt, str) or isinstance(temperature, bool) or not isinstance(temperature, (int, float)):
        raise RequestError("an item's prompt must be a string and its temperature a number")
    return Decoding(prompt.strip(), float(temperature))


def _check_decoding(decoding: Decoding, options: Sequence[str], backend: str) -> Optional[Dict[str, Any]]:
    """The transcriber refuses these first; a worker still never ignores an option its engine lacks."""
    if decoding.prompt and "prompt" not in options:
        return item_error(f"the {backend} engine takes no prompt", INVALID_ARGUMENT)
    if not 0.0 <= decoding.temperature <= 1.0:
        return item_error(f"temperature must be between 0 and 1, got {decoding.temperature}", INVALID_ARGUMENT)
    if decoding.temperature > 0 and "temperature" not in options:
        return item_error(f"the {backend} engine decodes deterministically only", INVALID_ARGUMENT)
    return None


def _check(chunk: np.ndarray, language: Any, supported: Sequence[str], backend: str) -> Optional[Dict[str, Any]]:
    """A client-safe reason this item cannot be transcribed, or None."""
    if not isinstance(language, str):
        return item_error("language must be a string", INVALID_ARGUMENT)
    if language and "*" not in supported and language not in supported:
        return item_error(f"the {backend} engine does not transcribe language {language!r} (it supports {', '.join(supported)})", INVALID_ARGUMENT)
    if chunk.size and not np.isfinite(chunk).all():
        return item_error("audio contains NaN or infinite samples", INVALID_ARGUMENT)
    return None


def _log(what: str) -> None:
    print(what, file=sys.stderr)
    traceback.print_exc(file=sys.stderr)
    sys.stderr.flush()


def _run(backend: Backend, chunks: List[np.ndarray], languages: List[str], decodings: List[Decoding], word_timestamps: bool) -> List[ItemResult]:
    if backend.info.options:
        results = backend.transcribe_batch(chunks, languages, word_timestamps, decoding=decodings)  # type: ignore[call-arg]
    else:
        results = backend.transcribe_batch(chunks, languages, word_timestamps)
    if len(results) != len(chunks):
        raise RuntimeError(f"backend returned {len(results)} results for {len(chunks)} chunks")
    return results


def transcribe_items(backend: Backend, header: Dict[str, Any], audio: np.ndarray) -> List[Dict[str, Any]]:
    """The `items` of a `result` frame: for each request item, in order, a result or an error."""
    chunks = split_items(header, audio)
    word_timestamps = bool(header.get("wordTimestamps", True))
    info = backend.info
    answers: List[Optional[Dict[str, Any]]] = []
    runnable: List[int] = []
    # Until every sender puts the language on each item, a request-level one fills the gaps.
    default_language = header.get("language", "")
    for item in header["items"]:
        item.setdefault("language", default_language)
    decodings = [_decoding(item) for item in header["items"]]
    for i, (item, chunk) in enumerate(zip(header["items"], chunks)):
        problem = _check(chunk, item["language"], info.languages, info.backend) or _check_decoding(decodings[i], info.options, info.backend)
        answers.append(problem)
        if problem is None:
            if chunk.size == 0:
                answers[i] = {"segments": [], "language": item.get("language", ""), "aligned": False}
            else:
                runnable.append(i)
    if runnable:
        batch = [np.ascontiguousarray(chunks[i], dtype=np.float32) for i in runnable]
        languages = [header["items"][i].get("language", "") for i in runnable]
        _answer(backend, runnable, batch, languages, [decodings[i] for i in runnable], word_timestamps, answers)
    return [a if a is not None else item_error(FAILED_CHUNK, INTERNAL) for a in answers]


def _answer(
    backend: Backend,
    where: List[int],
    batch: List[np.ndarray],
    languages: List[str],
    decodings: List[Decoding],
    word_timestamps: bool,
    answers: List[Optional[Dict[str, Any]]],
) -> None:
    """Fills answers[where[k]] for batch[k]: the whole batch at once, else halves (out of memory), else one at a time."""
    try:
        for i, r in zip(where, _run(backend, batch, languages, decodings, word_timestamps)):
            answers[i] = _result(r)
        return
    except Exception as exc:
        raise_if_device_error(exc)
        if len(batch) == 1:
            _log(f"item {where[0]} of the batch failed on its own")
            answers[where[0]] = item_error(FAILED_CHUNK, INTERNAL)
            return
        if is_out_of_memory(exc):
            # The batch did not fit; half of it may. Retrying one at a time would be the slowest fit.
            half = len(batch) // 2
            _log(f"batch of {len(batch)} ran out of GPU memory; retrying as {half} + {len(batch) - half}")
            parts = [(0, half), (half, len(batch))]
        else:  # the batch failed: find the chunk(s) that cause it, one at a time
            _log(f"batch of {len(batch)} failed; retrying its items one at a time")
            parts = [(k, k + 1) for k in range(len(batch))]
    for a, b in parts:
        _answer(backend, where[a:b], batch[a:b], languages[a:b], decodings[a:b], word_timestamps, answers)
