"""protocol.py's messages, and the frames the real worker writes, against protocol.json.

protocol.json is the one description of the frame headers that the TypeScript side
(services/transcriber/src/engine/worker-messages.ts) is also tested against; these tests fail when
the worker drifts from it.
"""
from __future__ import annotations

import dataclasses
import io
import json
import os
import subprocess
import sys
import unittest
from contextlib import redirect_stderr
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

import numpy as np

from callscribe_worker.backends import EngineInfo, ItemResult, Segment, Word
from callscribe_worker.diarizers import Turn
from callscribe_worker.items import INTERNAL, INVALID_ARGUMENT, item_error, transcribe_items
from callscribe_worker.protocol import REPLIES, REQUESTS, Diarize, Transcribe, TranscribeResult, header, read_frame, write_message

WORKER_DIR = Path(__file__).resolve().parent.parent
DESCRIPTION = json.loads((WORKER_DIR / "protocol.json").read_text())
SCALARS = {"string": str, "number": (int, float), "boolean": bool}


def _split(text: str, sep: str) -> List[str]:
    """Splits at sep outside brackets."""
    parts, depth, start = [], 0, 0
    for i, c in enumerate(text):
        depth += (c == "[") - (c == "]")
        if c == sep and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    return parts + [text[start:].strip()]


def problems(type_text: str, value: Any, path: str) -> List[str]:
    """Where value is not exactly of the described type (a field missing or extra counts)."""
    alternatives = _split(type_text, "|")
    if len(alternatives) > 1:
        found = [problems(a, value, path) for a in alternatives]
        return [] if any(not p for p in found) else [f"{path} is none of {type_text}: {found}"]
    t = type_text.strip()
    if t.endswith("[]"):
        if not isinstance(value, list):
            return [f"{path} should be a list"]
        return [p for i, v in enumerate(value) for p in problems(t[:-2], v, f"{path}[{i}]")]
    if t.startswith("[") and t.endswith("]"):
        items = _split(t[1:-1], ",")
        if not isinstance(value, (list, tuple)) or len(value) != len(items):
            return [f"{path} should be a {len(items)}-list"]
        return [p for i, (it, v) in enumerate(zip(items, value)) for p in problems(it, v, f"{path}[{i}]")]
    if t.startswith("'"):
        return [] if value == t.strip("'") else [f"{path} should be {t}"]
    if t == "null":
        return [] if value is None else [f"{path} should be null"]
    if t == "integer":
        return [] if isinstance(value, int) and not isinstance(value, bool) else [f"{path} should be an integer"]
    if t in SCALARS:
        ok = isinstance(value, SCALARS[t]) and (t == "boolean" or not isinstance(value, bool))
        return [] if ok else [f"{path} should be a {t}"]
    named = DESCRIPTION["objects"][t]
    return problems(named, value, path) if isinstance(named, str) else object_problems(named, value, path)


def object_problems(fields: Dict[str, str], value: Any, path: str) -> List[str]:
    if not isinstance(value, dict):
        return [f"{path} should be an object"]
    if set(value) != set(fields):
        return [f"{path} has fields {sorted(value)}, the description {sorted(fields)}"]
    return [p for k, t in fields.items() for p in problems(t, value[k], f"{path}.{k}")]


def assert_fits(test: unittest.TestCase, message: str, frame: Dict[str, Any], group: str = "replies") -> None:
    test.assertEqual(object_problems(DESCRIPTION[group][message], frame, message), [], json.dumps(frame)[:400])


def field_names(cls: Any) -> List[str]:
    return [f.name for f in dataclasses.fields(cls)]


class Messages(unittest.TestCase):
    def test_each_message_has_a_dataclass_with_the_described_type_and_fields(self):
        for group, classes in (("requests", REQUESTS), ("replies", REPLIES)):
            self.assertEqual(sorted(classes), sorted(DESCRIPTION[group]), group)
            for name, fields in DESCRIPTION[group].items():
                cls = classes[name]
                self.assertEqual(f"'{cls.TYPE}'", fields["type"], name)
                self.assertEqual(field_names(cls), [k for k in fields if k != "type"], name)

    def test_nested_objects_have_the_fields_of_what_fills_them(self):
        objects = DESCRIPTION["objects"]
        for name, cls in (("engine", EngineInfo), ("itemResult", ItemResult), ("segment", Segment), ("word", Word), ("turn", Turn)):
            self.assertEqual(field_names(cls), list(objects[name]), name)
        self.assertEqual(list(item_error("why", INTERNAL)), list(objects["itemError"]))
        self.assertEqual(objects["itemError"]["code"], f"'{INVALID_ARGUMENT}' | '{INTERNAL}'")

    def test_the_check_itself_catches_a_wrong_missing_or_extra_field(self):
        ok = {"type": "error", "id": None, "message": "m"}
        self.assertEqual(object_problems(DESCRIPTION["replies"]["error"], ok, "error"), [])
        for bad in ({**ok, "id": "7"}, {"type": "error", "message": "m"}, {**ok, "extra": 1}, {**ok, "type": "fatal"}):
            self.assertNotEqual(object_problems(DESCRIPTION["replies"]["error"], bad, "error"), [], bad)
        self.assertNotEqual(problems("[number, number][]", [[1.0]], "regions"), [])

    def test_requests_built_from_the_dataclasses_fit(self):
        transcribe = Transcribe(id=1, wordTimestamps=True, items=[{"samples": 16000, "language": "en", "prompt": "", "temperature": 0.0}])
        assert_fits(self, "transcribe", header(transcribe), "requests")
        assert_fits(self, "diarize", header(Diarize(id=2, regions=[(0.0, 1.5)], minSpeakers=0, maxSpeakers=2)), "requests")


class WordsBackend:
    """Two words per chunk; a chunk whose first sample is 0.5 fails whatever batch it is in."""

    info = EngineInfo("words", "words", "cpu", "float32", ["*"])

    def transcribe_batch(self, chunks: Sequence[np.ndarray], languages: Sequence[str], word_timestamps: bool) -> List[ItemResult]:
        if any(c[0] == 0.5 for c in chunks):
            raise RuntimeError("engine failure")
        words = [Word("two", 0.0, 0.2, 0.9), Word("words", 0.2, 0.5, 0.8)]
        return [ItemResult([Segment(0.0, 0.5, "two words", words)], lang or "en", word_timestamps) for lang in languages]


class ResultItems(unittest.TestCase):
    def test_a_result_with_words_and_every_kind_of_item_error_fits(self):
        nan, failing = np.zeros(10), np.zeros(10)
        nan[2], failing[0] = np.nan, 0.5
        chunks = [np.zeros(100), nan, failing, np.zeros(0)]
        request = header(Transcribe(id=3, wordTimestamps=True, items=[{"samples": len(c), "language": "", "prompt": "", "temperature": 0.0} for c in chunks]))
        with redirect_stderr(io.StringIO()):
            items = transcribe_items(WordsBackend(), request, np.concatenate(chunks).astype(np.float32))
        self.assertEqual([i.get("code") for i in items], [None, INVALID_ARGUMENT, INTERNAL, None])
        self.assertEqual(len(items[0]["segments"][0]["words"]), 2)
        assert_fits(self, "transcribeResult", header(TranscribeResult(id=3, elapsedMs=1.5, items=items)))


class RealWorker:
    """The worker as the transcriber runs it: its own process, frames on stdin and stdout."""

    def __init__(self, backend: str, **extra_env: str):
        env = {**os.environ, "PYTHONPATH": str(WORKER_DIR), **extra_env}
        self.process = subprocess.Popen(
            [sys.executable, "-u", "-m", "callscribe_worker", "--backend", backend],
            cwd=WORKER_DIR, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        )

    def next(self) -> Optional[Dict[str, Any]]:
        frame = read_frame(self.process.stdout)
        return None if frame is None else frame[0]

    def send(self, message: Any, audio: np.ndarray) -> Optional[Dict[str, Any]]:
        write_message(self.process.stdin, message, audio.astype("<f4").tobytes())
        return self.next()

    def close(self) -> int:
        self.process.stdin.close()
        code = self.process.wait(timeout=30)
        self.process.stdout.close()
        return code


def noise(seconds: float, seed: int = 1) -> np.ndarray:
    return (np.random.default_rng(seed).standard_normal(int(seconds * 16000)) * 0.05).astype(np.float32)


class RealWorkerFrames(unittest.TestCase):
    def test_a_transcribing_worker_says_ready_answers_per_item_and_refuses_what_it_cannot_take(self):
        worker = RealWorker("sphinx")
        try:
            assert_fits(self, "ready", worker.next())
            nan = noise(0.5)
            nan[7] = np.nan
            chunks = [noise(1.0), nan, np.zeros(0, np.float32)]
            items = [{"samples": len(c), "language": "en", "prompt": "", "temperature": 0.0} for c in chunks]
            result = worker.send(Transcribe(id=1, wordTimestamps=True, items=items), np.concatenate(chunks))
            assert_fits(self, "transcribeResult", result)
            self.assertEqual(result["items"][1]["code"], INVALID_ARGUMENT)
            malformed = worker.send(Transcribe(id=2, wordTimestamps=False, items=[{"samples": 10, "language": "", "prompt": "", "temperature": 0.0}]), noise(0.1))
            assert_fits(self, "error", malformed)
            other = worker.send(Diarize(id=3, regions=[(0.0, 1.0)], minSpeakers=0, maxSpeakers=0), noise(1.0))
            assert_fits(self, "error", other)
            self.assertEqual(other["id"], 3)
        finally:
            self.assertEqual(worker.close(), 0)

    def test_a_diarizing_worker_answers_with_turns(self):
        worker = RealWorker("spectral")
        try:
            assert_fits(self, "ready", worker.next())
            result = worker.send(Diarize(id=1, regions=[(0.0, 2.0)], minSpeakers=0, maxSpeakers=2), noise(2.0))
            assert_fits(self, "diarizeResult", result)
            self.assertIsNotNone(result["speakerCount"], "the conversation mode weighs its count")
            assert_fits(self, "speakerCount", result["speakerCount"], "objects")
        finally:
            self.assertEqual(worker.close(), 0)

    def test_a_diarizer_that_does_not_weigh_its_count_says_null(self):
        worker = RealWorker("spectral", CALLSCRIBE_SPECTRAL_MODE="legacy")
        try:
            assert_fits(self, "ready", worker.next())
            result = worker.send(Diarize(id=1, regions=[(0.0, 2.0)], minSpeakers=0, maxSpeakers=2), noise(2.0))
            assert_fits(self, "diarizeResult", result)
            self.assertIsNone(result["speakerCount"])
        finally:
            self.assertEqual(worker.close(), 0)

    def test_a_backend_that_cannot_load_says_fatal(self):
        worker = RealWorker("no-such-backend")
        assert_fits(self, "fatal", worker.next())
        self.assertEqual(worker.close(), 3)


if __name__ == "__main__":
    unittest.main()
