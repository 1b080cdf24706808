"""A speaker cluster that holds two voices of clearly different pitch is split in two.

The spectral features merge voices of similar timbre (two female voices 13% apart in pitch, in our
three-speaker test); a turn's median pitch is stable to about +-4% for one voice, so turns of one
cluster whose medians fall in two groups more than `gap` apart are two speakers. Only whole turns of
at least _MIN_TURN_FRAMES vote, so a backchannel or an overlap does not.
"""
from __future__ import annotations

from typing import List, Tuple

import numpy as np

# Conversation mode only: on real readers, whose turn medians spread more than espeak's, it split
# right counts at every gap tried, so the voices mode does without it (spectral.py).
GAP_ESPEAK = 1.10
_MIN_TURN_FRAMES = 100
_MIN_VOICED = 30
_MIN_SHARE = 0.15


def split_by_pitch(labels: np.ndarray, f0: np.ndarray, runs: List[Tuple[int, int]], hi: int, gap: float) -> np.ndarray:
    labels = labels.copy()
    apart = float(np.log(gap))
    k = int(labels.max()) + 1
    for c in range(k):
        if k >= hi:
            break
        turns = []
        for a, b in runs:
            seg = labels[a:b] == c
            edges = np.flatnonzero(np.diff(np.r_[0, seg.astype(np.int8), 0]))
            for s, e in zip(edges[::2], edges[1::2]):
                pitch = f0[a + s : a + e]
                pitch = pitch[~np.isnan(pitch)]
                if e - s >= _MIN_TURN_FRAMES and len(pitch) >= _MIN_VOICED:
                    turns.append((float(np.median(pitch)), a + s, a + e))
        if len(turns) < 2:
            continue
        turns.sort()
        medians = np.array([t[0] for t in turns])
        gaps = np.diff(medians)
        cut = int(gaps.argmax())
        if gaps[cut] < apart:
            continue
        low = sum(e - s for _, s, e in turns[: cut + 1])
        high = sum(e - s for _, s, e in turns[cut + 1 :])
        if min(low, high) < _MIN_SHARE * len(labels):
            continue
        for _, s, e in turns[cut + 1 :]:
            labels[s:e] = k
        k += 1
    return labels
