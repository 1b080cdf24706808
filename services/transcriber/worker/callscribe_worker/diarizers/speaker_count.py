"""How many speakers, and how sure: add one while the extra speaker explains the voices enough better.

Each candidate count k gets its own clustering and resegmentation, and a measure of how well its
speakers explain the voices; the step from k to k + 1 must clear a threshold, since splitting one
voice also gains (its pieces differ by what was said). Two measures, one per mode (spectral.py):

- `conversation` (default): the fit gain, nats per frame one full-covariance Gaussian per speaker
  gains over one for all (gaussian_stats.fit_gain); thresholds 0.6 (one to two) and 1.0 (beyond),
  calibrated on the dev split of the espeak set.
- `voices`: the evidence of the 1 s pieces grouped by speaker under the two-covariance model of the
  speaker space learned from real voices (speaker_space.evidence), in nats per piece; thresholds 0.6
  (one to two) and 0.5 + 2 x the split's change ratio (beyond), chosen on the dev splits of the
  real-voice and espeak sets together. The change ratio (change_ratio) is how often consecutive
  pieces change speaker over how often they would in a random order: a third speaker carved out of
  content (what was said, not who) changes often (ratio near 1), a real one holds turns (ratio 0.1-0.5).

Per frame or per piece, not BIC's log(N) penalty: a spurious split gains per unit whatever the
recording's length. The same steps give the confidence: each count considered scores the sum of its
steps' margins over their thresholds (x SHARPNESS), and a softmax of those scores is reported with
the count, so a caller can see when the answer was close (and pass min/max_speakers, or use channels).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Dict, List, Tuple

import numpy as np

MIN_SHARE = 0.15  # a third speaker and beyond must hold this much of the speech
# Units of margin to one unit of log-odds. Not fitted: at 4, a step 0.25 over or under its threshold
# reads as 73% sure (docs/diarization.md: how confidence and correctness went together, measured).
SHARPNESS = 4.0


@dataclass
class Rule:
    one_to_two: float
    each_more: float
    # Nats per unit of change ratio added to each_more (0: the rule ignores turn-taking).
    per_change: float = 0.0

    def margin(self, gain: float, k: int, changes: float = 0.0) -> float:
        """How far a step from k to k + 1 speakers clears its threshold (negative: it does not pay);
        `changes`: the k + 1 split's change_ratio."""
        return gain - (self.one_to_two if k == 1 else self.each_more + self.per_change * changes)


GAIN_RULE = Rule(one_to_two=0.6, each_more=1.0)  # fit gain, nats per frame (conversation mode)
# Evidence, nats per piece (voices mode). Dev splits, counts right (real voices / espeak), speech
# regions from the RTTM: 0.5 and 0.7 -> 27/40 and 16/20; 0.6 and 0.5 + 2 x change ratio -> 31/40 and 17/20.
EVIDENCE_RULE = Rule(one_to_two=0.6, each_more=0.5, per_change=2.0)


def change_ratio(owner: np.ndarray) -> float:
    """Speaker changes between consecutive pieces (plus one) over the number expected if the same
    pieces came in random order: near 0 for long turns, near 1 for a split that ignores time."""
    n = len(owner)
    if n < 2:
        return 1.0
    share = np.bincount(owner) / n
    expected = n * (1.0 - float((share**2).sum())) + 1.0
    return (1.0 + float((np.diff(owner) != 0).sum())) / expected


@dataclass
class SpeakerCount:
    """The count's probability and every count considered, as (speakers, probability), fewest first."""

    confidence: float
    alternatives: List[Tuple[int, float]]


def confidence(scores: Dict[int, float], answer: int) -> SpeakerCount:
    """Softmax of each count's score; the answer's share is the confidence."""
    counts = sorted(scores)
    s = np.array([scores[c] for c in counts])
    p = np.exp(s - s.max())
    p /= p.sum()
    alternatives = [(c, float(q)) for c, q in zip(counts, p)]
    return SpeakerCount(confidence=float(dict(alternatives).get(answer, 0.0)), alternatives=alternatives)


def choose(
    partition: Callable[[int], Tuple[np.ndarray, float]],
    lo: int,
    hi: int,
    rule: Rule,
    changes: Callable[[np.ndarray], float] = lambda labels: 0.0,
) -> Tuple[np.ndarray, float, Dict[int, float]]:
    """partition(k) -> (frame labels, fit in the rule's units); changes(labels) -> their change_ratio
    (read only by a rule with per_change). Walks up from lo and stops at the first step that does not
    pay, or at hi; lo == hi is taken as given (one score: confidence 1). Returns the labels, their fit
    and every count's score (for confidence())."""
    k = lo
    labels, fit = partition(k)
    scores: Dict[int, float] = {k: 0.0}
    while k < hi:
        more, more_fit = partition(k + 1)
        margin = rule.margin(more_fit - fit, k, changes(more) if rule.per_change and k > 1 else 0.0)
        shares = np.bincount(more, minlength=k + 1) / len(more)
        if k > 1 and shares.min() < MIN_SHARE:
            margin = min(margin, (shares.min() - MIN_SHARE) * 10)
        scores[k + 1] = scores[k] + SHARPNESS * margin
        if margin < 0:
            break
        k, labels, fit = k + 1, more, more_fit
    return labels, fit, scores
