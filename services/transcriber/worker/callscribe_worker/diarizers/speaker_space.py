"""The speaker space learned from real voices (dev/train-speaker-stats.py, 151 LibriSpeech readers of
the train split): a linear discriminant projection of the 1 s piece vectors, whitened so that one
speaker's pieces scatter with unit variance and ordered by how far apart speakers lie in each
direction (`ratios`: between-speaker over within-speaker variance).

The same ratios make a two-covariance (PLDA-style) model: a speaker is a point y ~ N(0, ratios) and
each of their pieces is y plus unit noise. How much better k clusters explain the pieces than k - 1,
per piece, is the evidence for one more speaker (speaker_count.py)."""
from __future__ import annotations

import os

import numpy as np

# 10 of the 16 learned directions: dev split, speaker count given, two-speaker DER 0.129 (the
# recording's own SVD, before) -> 0.038 (10) / 0.045 (16) / 0.059 (6).
DIMS = 10

_STATS = np.load(os.path.join(os.path.dirname(__file__), "data", "speaker-lda.npz"))
_MEAN = _STATS["mean"].astype(np.float64)
_PROJECTION = _STATS["projection"][:, :DIMS].astype(np.float64)
_BETWEEN = _STATS["ratios"][:DIMS].astype(np.float64)


def project(shrunk: np.ndarray) -> np.ndarray:
    """(pieces, DIMS) piece vectors in the speaker space."""
    return (shrunk - _MEAN) @ _PROJECTION


def evidence(z: np.ndarray, clusters: np.ndarray) -> float:
    """Log marginal likelihood of the pieces z grouped by `clusters` under the two-covariance model,
    in nats (exact per dimension: the projection makes both covariances diagonal)."""
    total = 0.0
    for c in np.unique(clusters):
        mine = z[clusters == c]
        n = len(mine)
        mean = mine.mean(axis=0)
        spread = ((mine - mean) ** 2).sum(axis=0)
        var = _BETWEEN + 1.0 / n
        total += float((-0.5 * np.log(2 * np.pi * var) - 0.5 * mean * mean / var - 0.5 * (n - 1) * np.log(2 * np.pi) - 0.5 * np.log(n) - 0.5 * spread).sum())
    return total
