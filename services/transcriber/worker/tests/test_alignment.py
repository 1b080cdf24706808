"""Batched alignment: CTC targets from text, word times from token spans, which chunks share a
wav2vec2 pass, what a failed pass or a failed model load costs (gpu_fakes.py stands in for torch,
torchaudio and whisperX)."""
from __future__ import annotations

import io
import sys
import unittest
from contextlib import redirect_stderr
from unittest import mock

import numpy as np

from callscribe_worker.backends.alignment import (
    MAX_RETRY_AFTER_S,
    RETRY_AFTER_S,
    BatchAligner,
    Span,
    align_targets,
    blank_id,
    emission_groups,
    padding_safe,
    words_from_spans,
)
from callscribe_worker.backends.mel import N_SAMPLES, stack_padded
from callscribe_worker.device_errors import DeviceError
from tests.gpu_fakes import DICTIONARY, LABELS, Wav2Vec2Model, fake_torch, fake_torchaudio, fake_whisperx


class Targets(unittest.TestCase):
    def test_spaces_become_separators_and_unknown_characters_are_skipped(self):
        tokens, positions = align_targets(" Hi, 2 you ", DICTIONARY, "en")
        text = " Hi, 2 you "
        self.assertEqual("".join(LABELS[t] for t in tokens), "hi|you")
        self.assertEqual([text[p] for p in positions], ["H", "i", " ", "y", "o", "u"])
        self.assertNotIn(blank_id(DICTIONARY), tokens)

    def test_blank_is_pad_for_hugging_face_vocabularies(self):
        self.assertEqual(blank_id({"<pad>": 7, "a": 1}), 7)
        self.assertEqual(blank_id(DICTIONARY), 0)


class Words(unittest.TestCase):
    def test_word_times_come_from_their_characters(self):
        text = "hi you"
        tokens, positions = align_targets(text, DICTIONARY, "en")
        spans = [Span(10, 12, 0.9), Span(12, 14, 0.7), Span(14, 15, 1.0), Span(20, 22, 0.8), Span(22, 23, 0.8), Span(23, 30, 0.8)]
        self.assertEqual(len(spans), len(tokens))
        words = words_from_spans(text, positions, spans, 0.02, "en")
        self.assertEqual([w.text for w in words], ["hi", "you"])
        self.assertEqual((words[0].start, words[0].end), (0.2, 0.28))
        self.assertEqual((words[1].start, words[1].end), (0.4, 0.6))
        self.assertAlmostEqual(words[0].confidence, 0.8)

    def test_a_word_without_aligned_characters_sits_between_its_neighbours(self):
        text = "pay 20 now"
        tokens, positions = align_targets(text, DICTIONARY, "en")
        spans = [Span(i * 5, i * 5 + 2, 1.0) for i in range(len(tokens))]
        words = words_from_spans(text, positions, spans, 0.02, "en")
        self.assertEqual([w.text for w in words], ["pay", "20", "now"])
        self.assertLessEqual(words[0].end, words[1].start)
        self.assertLessEqual(words[1].end, words[2].start)


class Padding(unittest.TestCase):
    def test_chunks_are_padded_to_whispers_window(self):
        batch = stack_padded([np.ones(10, np.float32), np.ones(N_SAMPLES + 5, np.float32)])
        self.assertEqual(batch.shape, (2, N_SAMPLES))
        self.assertEqual(batch[0, :10].sum(), 10)
        self.assertEqual(batch[0, 10:].sum(), 0)


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


class Aligner(unittest.TestCase):
    def setUp(self):
        patcher = mock.patch.dict(sys.modules, fake_torchaudio())
        patcher.start()
        self.addCleanup(patcher.stop)
        self.clock = Clock()

    def aligner(self, model=None, failures=None):
        whisperx = fake_whisperx([], align_model=model, align_load_failures=failures)
        self.whisperx = whisperx["whisperx"]
        patcher = mock.patch.dict(sys.modules, whisperx)
        patcher.start()
        self.addCleanup(patcher.stop)
        return BatchAligner(fake_torch(), self.whisperx, "cpu", clock=self.clock)

    def align(self, aligner, chunks, texts, language="en"):
        with redirect_stderr(io.StringIO()) as err:
            return aligner.align(chunks, texts, language), err.getvalue()

    def test_group_norm_models_never_see_another_chunks_padding(self):
        model = Wav2Vec2Model()
        aligner = self.aligner(model)
        chunks = [np.zeros(16000, np.float32), np.zeros(24000, np.float32), np.zeros(16000, np.float32)]
        words, _ = self.align(aligner, chunks, ["hi you", "hi there you", "bye now"])
        # WAV2VEC2_ASR_BASE_960H (group norm): equal lengths share a pass, nothing is padded to a neighbour.
        self.assertEqual(sorted(model.inputs), [(1, 24000), (2, 16000)])
        self.assertTrue(all(w is not None for w in words))

    def test_groups(self):
        self.assertEqual(emission_groups([5, 7, 5, 9], padded=False), [[0, 2], [1], [3]])
        self.assertEqual(emission_groups([5, 7, 5], padded=True), [[0, 1, 2]])
        self.assertEqual(emission_groups([], padded=False), [])

    def test_only_layer_norm_hugging_face_models_take_padding(self):
        class Config:
            def __init__(self, norm):
                self.feat_extract_norm = norm

        class HfModel:
            def __init__(self, norm):
                self.config = Config(norm)

        self.assertTrue(padding_safe(HfModel("layer"), {"type": "huggingface"}))
        self.assertFalse(padding_safe(HfModel("group"), {"type": "huggingface"}))  # wav2vec2-base, as the torchaudio default
        self.assertFalse(padding_safe(Wav2Vec2Model(), {"type": "torchaudio"}))

    def test_a_failed_shared_pass_aligns_one_chunk_at_a_time(self):
        model = Wav2Vec2Model(fail=lambda w: RuntimeError("CUDA out of memory. Tried to allocate 3.00 GiB") if w.shape[0] > 1 else None)
        aligner = self.aligner(model)
        words, stderr = self.align(aligner, [np.zeros(16000, np.float32)] * 2, ["hi you", "bye now"])
        self.assertEqual(model.inputs, [(2, 16000), (1, 16000), (1, 16000)])
        self.assertEqual([[w.text for w in ws] for ws in words], [["hi", "you"], ["bye", "now"]])
        self.assertIn("one at a time", stderr)

    def test_a_sticky_cuda_error_leaves_the_aligner(self):
        aligner = self.aligner(Wav2Vec2Model(fail=lambda w: RuntimeError("cuDNN error: CUDNN_STATUS_EXECUTION_FAILED")))
        with self.assertRaises(DeviceError):
            self.align(aligner, [np.zeros(16000, np.float32)] * 2, ["hi you", "bye now"])

    def test_a_failed_load_is_retried_after_a_back_off_never_written_off(self):
        aligner = self.aligner(Wav2Vec2Model(), failures=[OSError("HTTP Error 503"), OSError("HTTP Error 503")])
        calls = self.whisperx.alignment.calls
        chunk = [np.zeros(16000, np.float32)]
        with redirect_stderr(io.StringIO()):
            self.assertFalse(aligner.preload("en"))
        self.assertEqual(self.align(aligner, chunk, ["hi"])[0], [None])  # within the back-off: not tried again
        self.assertEqual(calls, ["en"])
        self.clock.now += RETRY_AFTER_S
        self.assertEqual(self.align(aligner, chunk, ["hi"])[0], [None])  # tried, failed again: the back-off doubles
        self.assertEqual(calls, ["en", "en"])
        self.clock.now += RETRY_AFTER_S
        self.align(aligner, chunk, ["hi"])
        self.assertEqual(len(calls), 2)
        self.clock.now += RETRY_AFTER_S
        words, _ = self.align(aligner, chunk, ["hi"])
        self.assertEqual([w.text for w in words[0]], ["hi"])
        self.assertEqual(len(calls), 3)
        self.align(aligner, chunk, ["hi"])
        self.assertEqual(len(calls), 3)  # loaded once, kept
        self.assertLessEqual(RETRY_AFTER_S, MAX_RETRY_AFTER_S)

    def test_a_language_without_a_model_is_asked_once(self):
        aligner = self.aligner(Wav2Vec2Model())
        for _ in range(3):
            self.clock.now += MAX_RETRY_AFTER_S
            self.assertEqual(self.align(aligner, [np.zeros(16000, np.float32)], ["salut"], "xx")[0], [None])
        self.assertEqual(self.whisperx.alignment.calls, ["xx"])


if __name__ == "__main__":
    unittest.main()
