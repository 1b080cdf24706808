"""How many speakers, from speaker embeddings: average-linkage clustering of the 1 s pieces, stopped
where two groups are less alike than a threshold learned on real voices (docs/diarization.md).

Average linkage compares groups by the mean similarity of all their pieces, so one odd piece cannot
join two speakers, and a group's evidence grows with its speech. A group needs MIN_SHARE of the
pieces (and MIN_PIECES) to count as a speaker, or a smaller share held as one turn: a few pieces that
sit apart (a cough, a laugh, two voices at once) are given to the nearest speaker, not counted as one.

Each piece is first averaged with its like neighbours in the same speech region (smoothed): one
second of speech places a voice loosely, three place it well, and a speech region is mostly one
speaker (resegmentation re-draws the edge of a change inside one afterwards). On 160 extra
dev-reader calls: 137 counts right unsmoothed at the best threshold, 146 smoothed, 148 smoothed only
between neighbours that point the same way.

How sure: the count is the same for every threshold in some interval around the one used; how far
the threshold would have to move to give each other count, in cosine units x SHARPNESS, is that
count's score, and the softmax of the scores is reported (speaker_count.SpeakerCount).
"""
from __future__ import annotations

from typing import Dict, Tuple

import numpy as np
from scipy.cluster.hierarchy import cut_tree, fcluster, linkage

from .piece_vectors import Speech

# Chosen on 160 extra dev-reader calls (dev/corpus/real-conversations.ts --dev-extra), checked on the
# 40 scored dev calls (docs/diarization.md, "The count, third pass"): counts right at 0.35 / 0.4 /
# 0.45 were 143 / 148 / 147 of 160.
THRESHOLD = 0.4
SMOOTH_GATE = 0.0  # cosine: neighbours pointing away from each other are not averaged (146 -> 148)
MIN_SHARE = 0.15
MIN_PIECES = 3
# A smaller group still counts when it holds the floor: TURN_PIECES pieces in a row (about 4 s of
# speech with no other voice between) and TURN_SHARE of the pieces. A third party who speaks once (a
# supervisor joining, a transfer) is a speaker; a few pieces scattered over the call are not. Extra
# dev-reader calls 148 -> 149 of 160 counts right, scored dev calls 38 -> 39 of 40 (three-speaker calls
# whose third voice holds 8-12% of the speech).
TURN_SHARE = 0.07
TURN_PIECES = 4
# Score per unit of cosine the threshold would have to move: at 20, a count 0.05 away reads as 27%.
SHARPNESS = 20.0
_GRID = np.round(np.arange(-1.0, 1.0001, 0.01), 2)


def smoothed(z: np.ndarray, s: Speech, gate: float | None = None) -> np.ndarray:
    """Each piece's vector plus those of its neighbours in the same speech region that are alike
    enough (cosine over `gate`) to be the same voice, unit length: the gate keeps a change of speaker
    with no pause from being blurred."""
    gate = SMOOTH_GATE if gate is None else gate
    region = np.searchsorted([b for _a, b in s.local], [a for a, _b in s.pieces], side="right")
    out = z.astype(np.float64).copy()
    near = (region[1:] == region[:-1]) & ((z[1:] * z[:-1]).sum(axis=1) > gate)
    out[1:][near] += z[:-1][near]
    out[:-1][near] += z[1:][near]
    return out / (np.linalg.norm(out, axis=1, keepdims=True) + 1e-9)


def _groups(tree: np.ndarray, threshold: float) -> np.ndarray:
    return fcluster(tree, t=1.0 - threshold, criterion="distance") - 1


def _longest_turns(groups: np.ndarray) -> np.ndarray:
    """Each group's most pieces in a row (pieces are in time order)."""
    starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])
    longest = np.zeros(int(groups.max()) + 1, dtype=np.int64)
    np.maximum.at(longest, groups[starts], np.diff(np.r_[starts, len(groups)]))
    return longest


def _speakers(z: np.ndarray, groups: np.ndarray) -> Tuple[int, np.ndarray]:
    """The groups big enough to be speakers, every piece given to the nearest of them."""
    sizes = np.bincount(groups)
    speaker = sizes >= max(MIN_PIECES, MIN_SHARE * len(z))
    turn = (sizes >= max(MIN_PIECES, TURN_SHARE * len(z))) & ~speaker
    # One pass over the labels, not one per group: count_speakers cuts the tree 201 times per call,
    # and at most cuts most groups are a piece or two.
    if turn.any():
        speaker |= turn & (_longest_turns(groups) >= TURN_PIECES)
    big = np.flatnonzero(speaker).tolist()
    if len(big) <= 1:
        return 1, np.zeros(len(z), dtype=np.int32)
    centres = np.array([z[groups == g].mean(axis=0) for g in big])
    return len(big), np.argmax(z @ centres.T, axis=1).astype(np.int32)


def count_speakers(z: np.ndarray, lo: int, hi: int) -> Tuple[np.ndarray, Dict[int, float]]:
    """z: (pieces, dims) unit vectors; lo/hi: min/max speakers, already clamped to the number of
    pieces. Each piece's speaker, numbered from 0 with no gaps, and every count weighed with its score
    (for speaker_count.confidence, once the final count is known)."""
    n = len(z)
    if n < 2 or hi <= 1:
        return np.zeros(n, dtype=np.int32), {1: 0.0}
    tree = linkage(z, method="average", metric="cosine")
    found = _speakers(z, _groups(tree, THRESHOLD))[0]
    k = min(max(found, lo), hi)
    # The count at every threshold on the grid: how far the threshold would have to move for each.
    scores: Dict[int, float] = {k: 0.0}
    for t in _GRID:
        c = _speakers(z, _groups(tree, float(t)))[0]
        if lo <= c <= hi and c != k:
            scores[c] = max(scores.get(c, -np.inf), -SHARPNESS * abs(float(t) - THRESHOLD))
    return partition(z, tree, k), scores


def partition(z: np.ndarray, tree: np.ndarray, k: int) -> np.ndarray:
    """k speakers from the tree, numbered 0..k-1: the loosest cut that holds k groups big enough to
    count, or else the tree cut into exactly k groups."""
    if k <= 1:
        return np.zeros(len(z), dtype=np.int32)
    for t in _GRID:
        found, labels = _speakers(z, _groups(tree, float(t)))
        if found >= k:
            if found == k and len(np.unique(labels)) == k:
                return labels
            break
    # No cut gives exactly k big groups (min_speakers above what the voices show, or a jump past k).
    # cut_tree, not fcluster's maxclust: scipy before 1.15 can return fewer clusters than asked.
    return np.unique(cut_tree(tree, n_clusters=k).ravel(), return_inverse=True)[1].astype(np.int32)
