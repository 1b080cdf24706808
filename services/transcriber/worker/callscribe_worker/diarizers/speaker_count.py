"""How many speakers, and how sure: add one while the extra speaker explains the voices enough better.

Each candidate count k gets its own clustering and resegmentation; its evidence is how well the 1 s
pieces, grouped by speaker, fit the speaker space learned from real voices (speaker_space.evidence).
A split of one voice also gains (its pieces differ by what was said), so the step from k to k + 1,
in nats per piece, must clear a threshold, calibrated on the dev split of the real-voice set
(docs/diarization.md). Per piece, not BIC's log(N) penalty: a spurious split gains per piece
whatever the recording's length.

The same steps give the confidence: each count considered scores the sum of its steps' margins over
their thresholds, and a softmax of those scores is reported with the count, so a caller can see when
the answer was close (and pass min/max_speakers, or use channels).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Dict, List, Tuple

import numpy as np

ONE_TO_TWO = 0.5  # nats per piece to answer two speakers rather than one
EACH_MORE = 0.7  # for a third speaker and beyond, whose clusters are less clean
MIN_SHARE = 0.15  # a third speaker and beyond must hold this much of the speech
# Nats per piece of margin to one unit of log-odds: fitted on the dev split's steps (logistic).
SHARPNESS = 4.0


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


def step_margin(gain_per_piece: float, k: int) -> float:
    """How far a step from k to k + 1 speakers clears its threshold (negative: it does not pay)."""
    return gain_per_piece - (ONE_TO_TWO if k == 1 else EACH_MORE)


def choose(partition: Callable[[int], Tuple[np.ndarray, float]], lo: int, hi: int, pieces: int) -> Tuple[np.ndarray, float, Dict[int, float]]:
    """partition(k) -> (frame labels, evidence in nats). Walks up from lo and stops at the first step
    that does not pay, or at hi; lo == hi is taken as given (one score: confidence 1). Returns the
    labels, their evidence and every count's score (for confidence())."""
    k = lo
    labels, evidence = partition(k)
    scores: Dict[int, float] = {k: 0.0}
    while k < hi:
        more, more_evidence = partition(k + 1)
        margin = step_margin((more_evidence - evidence) / max(1, pieces), k)
        shares = np.bincount(more, minlength=k + 1) / len(more)
        if k > 1 and shares.min() < MIN_SHARE:
            margin = min(margin, (shares.min() - MIN_SHARE) * 10)
        scores[k + 1] = scores[k] + SHARPNESS * margin
        if margin < 0:
            break
        k, labels, evidence = k + 1, more, more_evidence
    return labels, evidence, scores
