"""The shipped speaker space and its two-covariance evidence: the weights load, have the learned
shape, and the evidence prefers the true grouping of pieces drawn from the model itself."""
from __future__ import annotations

import unittest

import numpy as np

from callscribe_worker.diarizers import speaker_space
from callscribe_worker.diarizers.piece_vectors import piece_vectors


class SpeakerSpaceTest(unittest.TestCase):
    def test_weights_fit_the_piece_vectors(self) -> None:
        rng = np.random.default_rng(1)
        audio = (0.1 * rng.standard_normal(16000 * 3)).astype(np.float32)
        vectors, owner = piece_vectors(audio, [(0.0, 1.5), (1.5, 3.0)])
        self.assertEqual((sorted(owner), set(owner), len(owner)), (owner, {0, 1}, len(vectors)))
        z = speaker_space.project(vectors)
        self.assertEqual(z.shape, (len(vectors), speaker_space.DIMS))
        self.assertTrue(np.isfinite(z).all())

    def test_evidence_prefers_the_true_grouping(self) -> None:
        rng = np.random.default_rng(7)
        between = speaker_space._BETWEEN
        wins_two, wins_one = 0, 0
        for trial in range(20):
            # Two speakers, 20 pieces each, drawn from the model the evidence assumes.
            a, b = (rng.standard_normal(len(between)) * np.sqrt(between) for _ in range(2))
            z = np.vstack([a + rng.standard_normal((20, len(between))), b + rng.standard_normal((20, len(between)))])
            truth = np.repeat([0, 1], 20)
            wins_two += speaker_space.evidence(z, truth) > speaker_space.evidence(z, np.zeros(40, dtype=int))
            # One speaker: any split into halves must not pay.
            one = a + rng.standard_normal((40, len(between)))
            wins_one += speaker_space.evidence(one, np.zeros(40, dtype=int)) > speaker_space.evidence(one, truth)
        self.assertGreaterEqual(wins_two, 18)
        self.assertEqual(wins_one, 20)


if __name__ == "__main__":
    unittest.main()
