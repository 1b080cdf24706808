"""Per-item answers: one chunk's failure never fails another caller's chunk in the same batch."""
from __future__ import annotations

import io
import unittest
from contextlib import redirect_stderr
from typing import List, Sequence

import numpy as np

from callscribe_worker.backends import EngineInfo, ItemResult, Segment, Word
from callscribe_worker.device_errors import DeviceError
from callscribe_worker.items import RequestError, transcribe_items


class FakeBackend:
    """Says how long each chunk is (one word per chunk); a chunk whose first sample is 0.5 makes any batch it is in raise."""

    def __init__(self, languages=("*",)):
        self.info = EngineInfo("fake", "fake", "cpu", "float32", list(languages))
        self.calls: List[int] = []

    def transcribe_batch(self, chunks: Sequence[np.ndarray], languages: Sequence[str], word_timestamps: bool) -> List[ItemResult]:
        self.calls.append(len(chunks))
        if any(c[0] == 0.5 for c in chunks):
            raise ValueError("cannot decode the chunk at /opt/secret/path.py:42")
        return [
            ItemResult([Segment(0.0, len(c) / 16000, f"{len(c)} samples", [Word(f"{len(c)}", 0.0, len(c) / 16000)])], lang or "en", word_timestamps)
            for c, lang in zip(chunks, languages)
        ]


class OutOfMemoryError(RuntimeError):
    """torch.OutOfMemoryError's shape: a RuntimeError subclass (torch.cuda.OutOfMemoryError is the same class)."""


class SmallGpu(FakeBackend):
    """Runs out of memory on batches of more than `fits` chunks, as torch does."""

    def __init__(self, fits, error=OutOfMemoryError("CUDA out of memory. Tried to allocate 1.50 GiB. GPU 0 has a total capacity of 79.10 GiB")):
        super().__init__()
        self.fits = fits
        self.error = error

    def transcribe_batch(self, chunks, languages, word_timestamps):
        if len(chunks) > self.fits:
            self.calls.append(len(chunks))
            raise self.error
        return super().transcribe_batch(chunks, languages, word_timestamps)


def request(*chunks: np.ndarray, languages=None):
    languages = languages or [""] * len(chunks)
    header = {"type": "transcribe", "id": 1, "wordTimestamps": True, "items": [{"samples": len(c), "language": l} for c, l in zip(chunks, languages)]}
    return header, np.concatenate(chunks).astype(np.float32) if chunks else np.zeros(0, np.float32)


def run(backend, header, audio):
    err = io.StringIO()
    with redirect_stderr(err):
        return transcribe_items(backend, header, audio), err.getvalue()


class TranscribeItems(unittest.TestCase):
    def test_a_healthy_batch_runs_once(self):
        backend = FakeBackend()
        items, _ = run(backend, *request(np.zeros(100), np.zeros(200), languages=["en", "pt"]))
        self.assertEqual(backend.calls, [2])
        self.assertEqual([i["segments"][0]["text"] for i in items], ["100 samples", "200 samples"])
        self.assertEqual([i["language"] for i in items], ["en", "pt"])
        self.assertTrue(all(i["aligned"] for i in items))

    def test_nan_and_inf_fail_only_their_item(self):
        bad = np.zeros(50)
        bad[3] = np.nan
        inf = np.zeros(60)
        inf[0] = np.inf
        backend = FakeBackend()
        items, _ = run(backend, *request(np.zeros(100), bad, inf, np.zeros(300)))
        self.assertEqual(items[1], {"error": "audio contains NaN or infinite samples", "code": "invalid_argument"})
        self.assertEqual(items[2]["code"], "invalid_argument")
        self.assertEqual(items[0]["segments"][0]["text"], "100 samples")
        self.assertEqual(items[3]["segments"][0]["text"], "300 samples")
        self.assertEqual(backend.calls, [2])  # the poisoned items never reach the engine

    def test_a_crashing_item_is_found_by_retrying_one_at_a_time(self):
        poison = np.zeros(80)
        poison[0] = 0.5
        backend = FakeBackend()
        items, stderr = run(backend, *request(np.zeros(100), poison, np.zeros(300)))
        self.assertEqual(backend.calls, [3, 1, 1, 1])
        self.assertEqual(items[1], {"error": "transcription failed for this chunk", "code": "internal"})
        self.assertEqual(items[0]["segments"][0]["text"], "100 samples")
        self.assertEqual(items[2]["segments"][0]["text"], "300 samples")
        # The exception's text stays in stderr, never in the answer.
        self.assertIn("/opt/secret/path.py", stderr)
        self.assertNotIn("secret", repr(items))

    def test_unsupported_language_is_an_item_error(self):
        backend = FakeBackend(languages=["en"])
        items, _ = run(backend, *request(np.zeros(100), np.zeros(100), np.zeros(100), languages=["en", "fr", ""]))
        self.assertIn("segments", items[0])
        self.assertEqual(items[1]["code"], "invalid_argument")
        self.assertIn("'fr'", items[1]["error"])
        self.assertIn("segments", items[2])

    def test_empty_chunk_has_no_segments(self):
        items, _ = run(FakeBackend(), *request(np.zeros(0), np.zeros(10)))
        self.assertEqual(items[0]["segments"], [])
        self.assertFalse(items[0]["aligned"])  # no words, so no word timings
        self.assertEqual(len(items), 2)

    def test_segments_without_words_are_never_reported_aligned(self):
        class Wordless(FakeBackend):
            def transcribe_batch(self, chunks, languages, word_timestamps):
                return [ItemResult([Segment(0.0, 1.0, "text")], "en", True), ItemResult([], "en", True)][: len(chunks)]

        items, _ = run(Wordless(), *request(np.zeros(10), np.zeros(20)))
        self.assertEqual([i["aligned"] for i in items], [False, False])

    def test_out_of_memory_halves_the_batch_until_it_fits(self):
        backend = SmallGpu(fits=2)
        chunks = [np.zeros(100 + k) for k in range(8)]
        items, stderr = run(backend, *request(*chunks))
        self.assertEqual(backend.calls, [8, 4, 2, 2, 4, 2, 2])
        self.assertEqual([i["segments"][0]["text"] for i in items], [f"{100 + k} samples" for k in range(8)])
        self.assertIn("ran out of GPU memory", stderr)

    def test_out_of_memory_down_to_one_chunk_fails_only_that_chunk(self):
        # CTranslate2's form of the same failure (src/cuda/utils.h CUDA_CHECK), not even one chunk fits.
        backend = SmallGpu(fits=0, error=RuntimeError("CUDA failed with error out of memory"))
        items, _ = run(backend, *request(np.zeros(10), np.zeros(20), np.zeros(30)))
        self.assertEqual(backend.calls, [3, 1, 2, 1, 1])
        self.assertEqual([i["code"] for i in items], ["internal"] * 3)

    def test_a_sticky_cuda_error_is_not_retried_here(self):
        class Poisoned(FakeBackend):
            def transcribe_batch(self, chunks, languages, word_timestamps):
                self.calls.append(len(chunks))
                raise RuntimeError("CUDA error: an illegal memory access was encountered")

        backend = Poisoned()
        with self.assertRaises(DeviceError):
            run(backend, *request(np.zeros(10), np.zeros(20)))
        self.assertEqual(backend.calls, [2])  # every retry would fail the same way on this context

    def test_items_that_do_not_match_the_payload_fail_the_request(self):
        header, audio = request(np.zeros(100))
        with self.assertRaises(RequestError):
            transcribe_items(FakeBackend(), header, audio[:50])
        with self.assertRaises(RequestError):
            transcribe_items(FakeBackend(), {"items": [{"samples": -1}]}, audio)

    def test_a_backend_returning_too_few_results_fails_items_not_the_batch(self):
        class Short(FakeBackend):
            def transcribe_batch(self, chunks, languages, word_timestamps):
                return super().transcribe_batch(chunks, languages, word_timestamps)[:1]

        items, _ = run(Short(), *request(np.zeros(10), np.zeros(20)))
        self.assertIn("segments", items[0])
        self.assertIn("segments", items[1])  # one at a time each returns its one result


if __name__ == "__main__":
    unittest.main()


class PromptedBackend(FakeBackend):
    """Takes prompts and temperatures (info.options), and says back the prompt each chunk got."""

    def __init__(self):
        super().__init__()
        self.info.options = ["prompt", "temperature"]
        self.decodings = []

    def transcribe_batch(self, chunks, languages, word_timestamps, decoding=None):
        self.decodings.append(list(decoding))
        return [ItemResult([Segment(0.0, 1.0, d.prompt or "-")], "en", False) for d in decoding]


class Decodings(unittest.TestCase):
    def test_prompts_and_temperatures_reach_an_engine_that_takes_them_item_by_item(self):
        header, audio = request(np.full(1600, 0.1, np.float32), np.full(1600, 0.1, np.float32))
        header["items"][0].update(prompt="  ACME, Zendesk ", temperature=0.3)
        backend = PromptedBackend()
        items, _ = run(backend, header, audio)
        self.assertEqual([i["segments"][0]["text"] for i in items], ["ACME, Zendesk", "-"])
        self.assertEqual([(d.prompt, d.temperature) for d in backend.decodings[0]], [("ACME, Zendesk", 0.3), ("", 0.0)])

    def test_an_engine_without_them_is_never_passed_them_and_refuses_the_item_that_asks(self):
        header, audio = request(np.full(1600, 0.1, np.float32), np.full(1600, 0.1, np.float32), np.full(1600, 0.1, np.float32))
        header["items"][0]["prompt"] = "ACME"
        header["items"][1]["temperature"] = 0.5
        backend = FakeBackend()  # its transcribe_batch has no decoding parameter: passing one would raise
        items, _ = run(backend, header, audio)
        self.assertEqual(items[0], {"error": "the fake engine takes no prompt", "code": "invalid_argument"})
        self.assertEqual(items[1], {"error": "the fake engine decodes deterministically only", "code": "invalid_argument"})
        self.assertEqual(items[2]["segments"][0]["text"], "1600 samples")

    def test_a_malformed_prompt_is_a_request_error(self):
        header, audio = request(np.full(1600, 0.1, np.float32))
        header["items"][0]["temperature"] = "hot"
        with self.assertRaises(RequestError):
            run(FakeBackend(), header, audio)
