"""The count rule's turn-taking term: a split that follows the turns is cheap, one that ignores time
is priced out, and a rule without the term is unchanged."""
from __future__ import annotations

import unittest

import numpy as np

from callscribe_worker.diarizers.speaker_count import EVIDENCE_RULE, GAIN_RULE, change_ratio, choose


class ChangeRatioTest(unittest.TestCase):
    def test_long_turns_score_low_and_a_shuffle_near_one(self) -> None:
        turns = np.repeat([0, 1, 0, 1, 2, 0], 8)  # six turns of 8 pieces
        self.assertLess(change_ratio(turns), 0.25)
        rng = np.random.default_rng(3)
        shuffled = [change_ratio(rng.permutation(turns)) for _ in range(50)]
        self.assertAlmostEqual(float(np.mean(shuffled)), 1.0, delta=0.1)

    def test_one_piece_or_one_speaker_is_not_a_change(self) -> None:
        self.assertEqual(change_ratio(np.array([0])), 1.0)
        self.assertEqual(change_ratio(np.zeros(10, dtype=int)), 1.0)


class TurnTermTest(unittest.TestCase):
    def test_the_turn_term_prices_only_steps_beyond_two(self) -> None:
        self.assertEqual(EVIDENCE_RULE.margin(1.0, 1, changes=0.9), 1.0 - EVIDENCE_RULE.one_to_two)
        self.assertAlmostEqual(EVIDENCE_RULE.margin(1.0, 2, changes=0.0), 1.0 - EVIDENCE_RULE.each_more)
        self.assertLess(EVIDENCE_RULE.margin(1.0, 2, changes=0.9), EVIDENCE_RULE.margin(1.0, 2, changes=0.1))
        self.assertEqual(GAIN_RULE.margin(1.2, 2, changes=0.9), GAIN_RULE.margin(1.2, 2))

    def test_choose_stops_at_a_third_speaker_that_ignores_time(self) -> None:
        # Each count's partition over 60 pieces of 10 frames; every step gains 1.5 nats per piece.
        two = np.repeat([0, 1, 0, 1], 15)
        in_turns = np.repeat([0, 1, 2, 0, 1, 2], 10)
        in_content = np.where(np.arange(60) % 3 == 2, 2, two)

        def run(three: np.ndarray) -> int:
            parts = {1: np.zeros(60, dtype=np.int32), 2: two, 3: three, 4: three}
            partition = lambda k: (np.repeat(parts[k], 10).astype(np.int32), 1.5 * (k - 1))  # noqa: E731
            labels, _, _ = choose(partition, 1, 3, EVIDENCE_RULE, lambda frames: change_ratio(frames[::10]))
            return int(labels.max()) + 1

        self.assertEqual(run(in_turns), 3)
        self.assertEqual(run(in_content), 2)


if __name__ == "__main__":
    unittest.main()
