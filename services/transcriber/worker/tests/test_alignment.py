"""The pure parts of batched alignment: CTC targets from text, word times from token spans."""
from __future__ import annotations

import unittest

from callscribe_worker.backends.alignment import Span, align_targets, blank_id, words_from_spans
from callscribe_worker.backends.mel import N_SAMPLES, stack_padded

# torchaudio WAV2VEC2_ASR_BASE_960H labels, lower-cased as whisperx.load_align_model does.
LABELS = ["-", "|", "e", "t", "a", "o", "n", "i", "h", "s", "r", "d", "l", "u", "m", "w", "c", "f", "g", "y", "p", "b", "v", "k", "'", "x", "j", "q", "z"]
DICTIONARY = {c: i for i, c in enumerate(LABELS)}


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
        import numpy as np

        batch = stack_padded([np.ones(10, np.float32), np.ones(N_SAMPLES + 5, np.float32)])
        self.assertEqual(batch.shape, (2, N_SAMPLES))
        self.assertEqual(batch[0, :10].sum(), 10)
        self.assertEqual(batch[0, 10:].sum(), 0)


if __name__ == "__main__":
    unittest.main()
