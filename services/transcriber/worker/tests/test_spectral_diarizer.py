"""The CPU diarizer on synthetic voices: changes of speaker with no pause between them, exact
min/max bounds, and the legacy mode still selectable."""
from __future__ import annotations

import os
import unittest
from unittest import mock

import numpy as np
from scipy.signal import lfilter

from callscribe_worker.diarizers.spectral import SpectralDiarizer

RATE = 16000
VOWELS = [(730, 1090, 2440), (270, 2290, 3010), (300, 870, 2240), (530, 1840, 2480), (660, 1720, 2410)]


def voice(seconds: float, f0: float, formant_scale: float, seed: int) -> np.ndarray:
    """A pulse train through three formant resonators, a new vowel every 200 ms: a crude talker
    whose vocal tract length (formant scale) and pitch are its identity."""
    rng = np.random.default_rng(seed)
    n = int(seconds * RATE)
    out = np.zeros(n)
    step = int(0.2 * RATE)
    for start in range(0, n, step):
        length = min(step, n - start)
        pitch = f0 * (1 + 0.05 * rng.standard_normal())
        src = np.zeros(length)
        src[:: int(RATE / pitch)] = 1.0
        y = src
        for f in VOWELS[rng.integers(len(VOWELS))]:
            r = np.exp(-np.pi * 80 / RATE)
            theta = 2 * np.pi * f * formant_scale / RATE
            y = lfilter([1 - r], [1, -2 * r * np.cos(theta), r * r], y)
        out[start : start + length] = y
    out /= np.abs(out).max()
    out += 0.01 * rng.standard_normal(n)
    return (0.3 * out / np.abs(out).max()).astype(np.float32)


def speakers(turns) -> set:
    return {t.speaker for t in turns}


class ConversationModeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        # Four 3 s turns, A B A B, with no pause: one VAD region holding every change of speaker.
        a = [voice(3.0, 120, 1.0, s) for s in (1, 2)]
        b = [voice(3.0, 190, 1.3, s) for s in (3, 4)]
        cls.audio = np.concatenate([a[0], b[0], a[1], b[1]])
        cls.diarizer = SpectralDiarizer()

    def test_finds_changes_inside_one_region(self) -> None:
        turns = self.diarizer.diarize(self.audio, [(0.0, 12.0)], 0, 0)
        self.assertEqual(len(speakers(turns)), 2, turns)
        edges = [t.start for t in turns[1:]]
        for truth in (3.0, 6.0, 9.0):
            self.assertTrue(any(abs(e - truth) < 0.3 for e in edges), f"no change found near {truth} s: {turns}")

    def test_min_and_max_are_exact(self) -> None:
        self.assertEqual(len(speakers(self.diarizer.diarize(self.audio, [(0.0, 12.0)], 3, 3))), 3)
        self.assertEqual(len(speakers(self.diarizer.diarize(self.audio, [(0.0, 12.0)], 0, 1))), 1)

    def test_no_speech_no_turns(self) -> None:
        self.assertEqual(self.diarizer.diarize(self.audio, [], 0, 0), [])
        self.assertEqual(self.diarizer.diarize(np.zeros(RATE, dtype=np.float32), [(0.0, 0.02)], 0, 0), [])


class CountConfidenceTest(unittest.TestCase):
    """The count comes with how sure the diarizer is and the counts it weighed (docs/api.md)."""

    @classmethod
    def setUpClass(cls) -> None:
        a = [voice(3.0, 120, 1.0, s) for s in (1, 2)]
        b = [voice(3.0, 190, 1.3, s) for s in (3, 4)]
        cls.audio = np.concatenate([a[0], b[0], a[1], b[1]])
        cls.diarizer = SpectralDiarizer()

    def test_alternatives_are_probabilities_around_the_answer(self) -> None:
        turns, count = self.diarizer.diarize_counted(self.audio, [(0.0, 12.0)], 0, 0)
        found = len(speakers(turns))
        self.assertAlmostEqual(sum(p for _, p in count.alternatives), 1.0, places=6)
        self.assertEqual(dict(count.alternatives)[found], count.confidence)
        self.assertIn(found + 1, dict(count.alternatives), "the next count up was weighed and refused")
        self.assertEqual([k for k, _ in count.alternatives], sorted(k for k, _ in count.alternatives))
        self.assertGreater(count.confidence, 0.5, count)

    def test_a_given_count_is_certain(self) -> None:
        turns, count = self.diarizer.diarize_counted(self.audio, [(0.0, 12.0)], 3, 3)
        self.assertEqual(len(speakers(turns)), 3)
        self.assertEqual((count.confidence, count.alternatives), (1.0, [(3, 1.0)]))

    def test_no_speech_no_estimate(self) -> None:
        turns, count = self.diarizer.diarize_counted(self.audio, [], 0, 0)
        self.assertEqual((turns, count.confidence, count.alternatives), ([], 0.0, []))


class ModeSelectionTest(unittest.TestCase):
    def test_voices_mode_uses_the_learned_space_and_says_how_sure(self) -> None:
        with mock.patch.dict(os.environ, {"CALLSCRIBE_SPECTRAL_MODE": "voices"}):
            voices = SpectralDiarizer()
        self.assertEqual(voices.model, "spectral-voices")
        audio = np.concatenate([voice(3.0, 120, 1.0, 1), voice(3.0, 190, 1.3, 3), voice(3.0, 120, 1.0, 2), voice(3.0, 190, 1.3, 4)])
        turns, count = voices.diarize_counted(audio, [(0.0, 12.0)], 0, 0)
        self.assertEqual(len(speakers(turns)), 2, turns)
        self.assertAlmostEqual(sum(p for _, p in count.alternatives), 1.0, places=6)
        self.assertEqual(len(speakers(voices.diarize(audio, [(0.0, 12.0)], 3, 3))), 3)

    def test_an_unknown_mode_is_refused_at_load(self) -> None:
        from callscribe_worker.backends import BackendLoadError

        with mock.patch.dict(os.environ, {"CALLSCRIBE_SPECTRAL_MODE": "learned"}):
            with self.assertRaisesRegex(BackendLoadError, "conversation, embedding, voices, legacy"):
                SpectralDiarizer()


class LegacyModeTest(unittest.TestCase):
    def test_selected_by_environment(self) -> None:
        with mock.patch.dict(os.environ, {"CALLSCRIBE_SPECTRAL_MODE": "legacy"}):
            legacy = SpectralDiarizer()
        self.assertEqual(legacy.model, "spectral-legacy")
        self.assertEqual(SpectralDiarizer().model, "spectral-conversation")
        audio = voice(2.0, 120, 1.0, 9)
        self.assertEqual(len(speakers(legacy.diarize(audio, [(0.0, 2.0)], 0, 0))), 1)
        self.assertIsNone(legacy.diarize_counted(audio, [(0.0, 2.0)], 0, 0)[1], "legacy does not weigh its count")


if __name__ == "__main__":
    unittest.main()
