"""How many speakers: add one while the extra speaker explains the voices enough better.

Each candidate count k gets its own clustering and resegmentation; its fit gain is how many nats per
frame one Gaussian per speaker gains over one for all (gaussian_stats.fit_gain). Splitting one voice
also gains (its vowels and its fricatives fall apart), so the step from k to k + 1 must clear a
threshold, calibrated on the dev split of the generated conversations and checked on the held-out
split (docs/diarization.md). The thresholds are per frame, not BIC's log(N) penalty: a spurious
split gains per frame whatever the recording's length, so a penalty that shrinks per frame as the
call grows would find more speakers in longer calls.
"""
from __future__ import annotations

from typing import Callable, Tuple

import numpy as np

ONE_TO_TWO = 0.6  # nats per frame to answer two speakers rather than one
EACH_MORE = 1.0  # for a third speaker and beyond, whose clusters are less clean
MIN_SHARE = 0.15  # a third speaker and beyond must hold this much of the speech


def choose(partition: Callable[[int], Tuple[np.ndarray, float]], lo: int, hi: int) -> np.ndarray:
    """partition(k) -> (frame labels, fit gain). Walks up from lo and stops at the first step that
    does not pay, or at hi; lo == hi is taken as given."""
    k = lo
    labels, gain = partition(k)
    while k < hi:
        more, more_gain = partition(k + 1)
        shares = np.bincount(more, minlength=k + 1) / len(more)
        if k == 1:
            pays = more_gain - gain >= ONE_TO_TWO
        else:
            pays = more_gain - gain >= EACH_MORE and shares.min() >= MIN_SHARE
        if not pays:
            break
        k, labels, gain = k + 1, more, more_gain
    return labels
