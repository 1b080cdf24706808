"""The embedding mode's count on vectors with a known answer: groups of pieces around well-apart
directions, the min/max bounds, what a stray piece may not do, the smoothing, and the confidence."""
from __future__ import annotations

import unittest

import numpy as np

from callscribe_worker.diarizers import embedding_count
from callscribe_worker.diarizers.piece_vectors import Speech
from callscribe_worker.diarizers.speaker_count import SpeakerCount, confidence


def counted(z: np.ndarray, lo: int, hi: int) -> tuple:
    """The owners and the confidence of the count they hold, as spectral.py reports it."""
    owner, scores = embedding_count.count_speakers(z, lo, hi)
    k = len(np.unique(owner))
    assert np.unique(owner).tolist() == list(range(k)), f"speakers numbered with a gap: {np.unique(owner)}"
    return owner, confidence(scores, k) if lo < hi else SpeakerCount(1.0, [(k, 1.0)])


def pieces(rng: np.random.Generator, centres: np.ndarray, counts: list, noise: float) -> tuple:
    z = np.vstack([c + noise * rng.standard_normal((n, len(c))) for c, n in zip(centres, counts)])
    z /= np.linalg.norm(z, axis=1, keepdims=True)
    return z, np.repeat(np.arange(len(counts)), counts)


def speakers_apart(rng: np.random.Generator, k: int, dims: int = 16) -> np.ndarray:
    # Orthogonal directions: cosine 0 between speakers, far under the threshold.
    return np.linalg.qr(rng.standard_normal((dims, dims)))[0][:k]


def agrees(found: np.ndarray, truth: np.ndarray) -> bool:
    """Same grouping whatever the numbering."""
    return len(set(zip(found.tolist(), truth.tolist()))) == len(set(truth.tolist())) == len(set(found.tolist()))


class CountTest(unittest.TestCase):
    def test_one_two_and_three_speakers(self) -> None:
        rng = np.random.default_rng(3)
        for k in (1, 2, 3):
            z, truth = pieces(rng, speakers_apart(rng, k), [20, 14, 9][:k], 0.15)
            owner, count = counted(z, 1, 8)
            self.assertTrue(agrees(owner, truth), (k, owner))
            self.assertGreater(count.confidence, 0.5)
            self.assertAlmostEqual(sum(p for _, p in count.alternatives), 1.0, places=6)
            self.assertEqual(max(count.alternatives, key=lambda a: a[1])[0], k)

    def test_a_stray_piece_is_not_a_speaker(self) -> None:
        rng = np.random.default_rng(4)
        z, _ = pieces(rng, speakers_apart(rng, 2), [20, 20], 0.15)
        stray = speakers_apart(rng, 3)[2:]
        owner, _ = counted(np.vstack([z, stray]), 1, 8)
        self.assertEqual(int(owner.max()) + 1, 2)

    def test_a_short_voice_counts_when_it_holds_a_turn(self) -> None:
        # A third voice with 5 of 50 pieces (10%, under MIN_SHARE): one turn of 5 in a row is a
        # speaker (a supervisor who speaks once); the same 5 pieces scattered over the call are not.
        rng = np.random.default_rng(9)
        z, truth = pieces(rng, speakers_apart(rng, 3), [25, 20, 5], 0.15)
        turn = np.r_[np.arange(0, 20), np.arange(45, 50), np.arange(20, 45)]
        owner, _ = counted(z[turn], 1, 8)
        self.assertTrue(agrees(owner, truth[turn]), owner)
        scattered = np.r_[np.arange(0, 45)]
        for i, at in enumerate(range(45, 50)):
            scattered = np.insert(scattered, 8 * i + 4, at)
        owner, _ = counted(z[scattered], 1, 8)
        self.assertEqual(int(owner.max()) + 1, 2, owner)
        turns = embedding_count._longest_turns(np.array([0, 0, 1, 1, 1, 0, 2, 2, 2, 2, 0]))
        self.assertEqual(turns.tolist(), [2, 3, 4])

    def test_min_and_max_bound_the_count_exactly(self) -> None:
        rng = np.random.default_rng(5)
        z, truth = pieces(rng, speakers_apart(rng, 3), [15, 15, 15], 0.15)
        owner, count = counted(z, 1, 2)
        self.assertEqual(int(owner.max()) + 1, 2)
        self.assertEqual([c for c, _ in count.alternatives], [1, 2])
        owner, count = counted(z, 4, 4)
        self.assertEqual(int(owner.max()) + 1, 4)
        self.assertEqual((count.confidence, count.alternatives), (1.0, [(4, 1.0)]))
        one, _ = pieces(rng, speakers_apart(rng, 1), [30], 0.15)
        self.assertEqual(int(counted(one, 2, 2)[0].max()) + 1, 2)

    def test_a_forced_count_holds_on_a_few_pieces(self) -> None:
        # Under 2 x MIN_PIECES pieces no cut has two speakers big enough to count, so the tree is cut
        # into exactly the number asked (fcluster's maxclust gave fewer on scipy < 1.15).
        rng = np.random.default_rng(8)
        z, truth = pieces(rng, speakers_apart(rng, 2), [2, 2], 0.1)
        owner, _ = counted(z, 2, 2)
        self.assertTrue(agrees(owner, truth), owner)
        for k in (3, 4):
            self.assertEqual(len(np.unique(counted(z, k, k)[0])), k)
        self.assertEqual(len(np.unique(counted(z, 1, 8)[0])), 1, "too few pieces to count two unasked")

    def test_a_close_call_reads_as_unsure(self) -> None:
        rng = np.random.default_rng(6)
        apart = speakers_apart(rng, 2)
        # Two speakers whose directions are at the threshold's cosine from each other.
        angle = np.arccos(embedding_count.THRESHOLD)
        near = np.vstack([apart[0], np.cos(angle) * apart[0] + np.sin(angle) * apart[1]])
        z, _ = pieces(rng, near, [20, 20], 0.05)
        _, close = counted(z, 1, 8)
        z, _ = pieces(rng, apart, [20, 20], 0.05)
        _, clear = counted(z, 1, 8)
        self.assertLess(close.confidence, clear.confidence)
        self.assertLess(close.confidence, 0.8)

    def test_smoothing_stays_inside_a_speech_region_and_a_voice(self) -> None:
        # Regions [0, 300) and [300, 400) of speech frames, 100-frame pieces; the third piece points
        # away from the second (another voice, no pause), the fourth is alone in its region.
        s = Speech(runs=[(0, 300), (400, 500)], local=[(0, 300), (300, 400)], x=np.zeros((400, 20)), voiced=np.ones(400, bool), f0=np.zeros(400), pieces=[(0, 100), (100, 200), (200, 300), (300, 400)])
        z = np.array([[1.0, 0.0], [0.6, 0.8], [0.0, -1.0], [0.6, 0.8]])
        out = embedding_count.smoothed(z, s)
        both = (z[0] + z[1]) / np.linalg.norm(z[0] + z[1])
        np.testing.assert_allclose(out, [both, both, z[2], z[3]], atol=1e-9)
        # Without the gate the change of voice is blurred.
        self.assertGreater(embedding_count.smoothed(z, s, gate=-1.0)[2] @ z[1], 0.0)


if __name__ == "__main__":
    unittest.main()
