"""The whisperX backend's own control flow, against stand-ins with whisperX 3.8.4's real shape (gpu_fakes.py).

What is checked is ours: the backend starts on 3.8.4's layout (a lazy `load_model(*args, **kwargs)`
in whisperx/__init__.py, the real one in whisperx.asr), whisperX's VAD is never built, one encoder
pass feeds detection and the decode, each item gets its own prompt language, detection runs only when
an item asks for it, English alignment is loaded at start, and words that cannot be made never cost
the text.
"""
from __future__ import annotations

import functools
import io
import sys
import unittest
from contextlib import redirect_stderr
from unittest import mock

import numpy as np

from callscribe_worker.backends import BackendLoadError, Decoding
# Imported here, not first inside a patched sys.modules (which would drop them, and their classes, on exit).
from callscribe_worker.backends import alignment  # noqa: F401
from callscribe_worker.device_errors import DeviceError
from tests.gpu_fakes import Wav2Vec2Model, fake_whisperx


class FakeFeatures:
    def __init__(self, n):
        self.n = n

    def cpu(self):
        return self

    def numpy(self):
        return np.zeros((self.n, 80, 3000), np.float32)


class WhisperXFlow(unittest.TestCase):
    def start(self, **fakes):
        self.load_calls = []
        self.modules = fake_whisperx(self.load_calls, **fakes)
        self.ct2 = self.modules["whisperx.asr"].WhisperModel.model
        patcher = mock.patch.dict(sys.modules, self.modules)
        patcher.start()
        self.addCleanup(patcher.stop)
        sys.modules.pop("callscribe_worker.backends.whisperx_backend", None)
        from callscribe_worker.backends import whisperx_backend

        self.addCleanup(lambda: sys.modules.pop("callscribe_worker.backends.whisperx_backend", None))
        mel = mock.patch.object(whisperx_backend, "batched_log_mel", lambda torch, chunks, filters, device: FakeFeatures(len(chunks)))
        mel.start()
        self.addCleanup(mel.stop)
        with redirect_stderr(io.StringIO()):
            return whisperx_backend.WhisperXBackend()

    def transcribe(self, backend, chunks, languages, word_timestamps=True):
        with redirect_stderr(io.StringIO()) as err:
            results = backend.transcribe_batch(chunks, languages, word_timestamps)
        return results, err.getvalue()

    def test_starts_on_the_lazy_load_model_of_3_8_4(self):
        self.start(align_model=Wav2Vec2Model())
        (call,) = self.load_calls  # through whisperx.asr.load_model, with its real parameters
        self.assertIsNotNone(call["vad_model"])
        self.assertEqual(call["vad_method"], "pyannote")  # the default, ignored because vad_model is set
        self.assertIsNone(call["language"])
        self.assertEqual(call["device_index"], 0)

    def test_a_failure_while_building_the_model_is_a_load_error(self):
        self.load_calls = []
        modules = fake_whisperx(self.load_calls)
        real = modules["whisperx.asr"].load_model

        @functools.wraps(real)
        def no_gpu(*args, **kwargs):
            raise RuntimeError("CUDA failed with error no CUDA-capable device is detected")

        modules["whisperx.asr"].load_model = no_gpu
        with mock.patch.dict(sys.modules, modules):
            sys.modules.pop("callscribe_worker.backends.whisperx_backend", None)
            from callscribe_worker.backends import whisperx_backend

            with self.assertRaises(BackendLoadError) as ctx:
                whisperx_backend.WhisperXBackend()
        sys.modules.pop("callscribe_worker.backends.whisperx_backend", None)
        self.assertIn("no CUDA-capable device is detected", str(ctx.exception))

    def test_english_alignment_is_loaded_at_start(self):
        self.start(align_model=Wav2Vec2Model())
        self.assertEqual(self.modules["whisperx.alignment"].calls, ["en"])

    def test_languages_per_item_with_one_encoder_pass(self):
        backend = self.start(align_model=Wav2Vec2Model())
        chunks = [np.zeros(16000, np.float32)] * 3
        results, _ = self.transcribe(backend, chunks, ["en", "", "pt"])
        self.assertEqual([r.language for r in results], ["en", "de", "pt"])
        self.assertEqual([r.segments[0].text for r in results], ["hello in en", "hello in de", "hello in pt"])
        self.assertEqual(self.ct2.calls, [("encode", 3), ("detect", 3), ("generate", ["en", "de", "pt"])])
        # English has its model; de has none here (its download fails), pt's Hugging Face model cannot be
        # fetched: their text is kept, flagged unaligned.
        self.assertEqual([r.aligned for r in results], [True, False, False])
        self.assertEqual([w.text for w in results[0].segments[0].words], ["hello", "in", "en"])

    def test_each_item_decodes_after_its_own_prompt_as_previous_tokens(self):
        backend = self.start(align_model=Wav2Vec2Model())
        self.assertEqual(backend.info.options, ["prompt", "temperature"])
        long = "x" * 400
        with redirect_stderr(io.StringIO()):
            backend.transcribe_batch([np.zeros(16000, np.float32)] * 3, ["en", "en", "de"], False, decoding=[Decoding("ACME"), Decoding(), Decoding(long)])
        ((prompts, kwargs),) = self.ct2.generated  # one decode for the batch
        self.assertEqual(prompts[0], ["<|startofprev|>", "t ", "tA", "tC", "tM", "tE", "en", "<|notimestamps|>"])
        self.assertEqual(prompts[1], ["en", "<|notimestamps|>"])
        self.assertEqual(len(prompts[2]), 1 + 223 + 2, "Whisper keeps the last 223 prompt tokens (faster-whisper's get_prompt)")
        self.assertEqual((kwargs["beam_size"], "sampling_temperature" in kwargs), (5, False))

    def test_a_batch_mixing_temperatures_decodes_once_per_temperature_in_order(self):
        backend = self.start(align_model=Wav2Vec2Model())
        with redirect_stderr(io.StringIO()):
            results = backend.transcribe_batch(
                [np.zeros(16000, np.float32)] * 3, ["en", "de", "pt"], False, decoding=[Decoding(temperature=0.4), Decoding(), Decoding(temperature=0.4)]
            )
        self.assertEqual([r.segments[0].text for r in results], ["hello in en", "hello in de", "hello in pt"])
        sampled = [kw for _, kw in self.ct2.generated]
        self.assertEqual(sampled[0]["beam_size"], 5)
        self.assertEqual(
            {k: sampled[1][k] for k in ("beam_size", "num_hypotheses", "sampling_topk", "sampling_temperature")},
            {"beam_size": 1, "num_hypotheses": 1, "sampling_topk": 0, "sampling_temperature": 0.4},
        )
        self.assertEqual([c for c in self.ct2.calls if c[0] == "encode"], [("encode", 1), ("encode", 2)])

    def test_no_detection_when_every_item_has_a_language(self):
        backend = self.start(align_model=Wav2Vec2Model())
        self.transcribe(backend, [np.zeros(8000, np.float32)] * 2, ["en", "fr"], word_timestamps=False)
        self.assertNotIn("detect", [c[0] for c in self.ct2.calls])

    def test_an_alignment_failure_keeps_the_decoded_text(self):
        def fail(waveforms):
            return RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB") if waveforms.shape[0] > 1 else ValueError("broken wav2vec2")

        model = Wav2Vec2Model(fail=fail)
        backend = self.start(align_model=model)
        results, stderr = self.transcribe(backend, [np.zeros(16000, np.float32)] * 2, ["en", "en"])
        self.assertEqual([r.segments[0].text for r in results], ["hello in en", "hello in en"])
        self.assertEqual([r.aligned for r in results], [False, False])
        self.assertEqual([c[0] for c in self.ct2.calls], ["encode", "generate"])  # decoded once, never again
        self.assertEqual(model.inputs, [(2, 16000), (1, 16000), (1, 16000)])  # the batch, then one at a time
        self.assertIn("one at a time", stderr)

    def test_a_sticky_cuda_error_in_alignment_is_not_swallowed(self):
        backend = self.start(align_model=Wav2Vec2Model(fail=lambda w: RuntimeError("CUDA error: device-side assert triggered")))
        with self.assertRaises(DeviceError):
            self.transcribe(backend, [np.zeros(16000, np.float32)], ["en"])

    def test_no_text_is_not_aligned(self):
        backend = self.start(align_model=Wav2Vec2Model())
        results, _ = self.transcribe(backend, [np.zeros(16000, np.float32)], ["xx"])
        self.assertEqual(results[0].segments, [])
        self.assertFalse(results[0].aligned)

    def test_engine_info(self):
        backend = self.start(align_model=Wav2Vec2Model())
        self.assertEqual(backend.info.languages, ["*"])
        self.assertEqual(backend.info.device, "cpu")


if __name__ == "__main__":
    unittest.main()
