"""The linear discriminant projection both speaker-space scripts fit (dev/train-speaker-stats.py on
MFCC piece vectors, dev/fit-embedding-space.py on the network's embeddings): whiten the
within-speaker scatter, then keep the directions where speakers differ most."""
from __future__ import annotations

import numpy as np


def fit(x: np.ndarray, y: np.ndarray, classes: list, dims: int) -> tuple:
    """x: (n, d) vectors; y: each one's class; classes: every class, in the order their statistics are
    summed (kept fixed so the same inputs give the same bytes). Returns the mean, the (d, dims)
    projection and each direction's between/within variance ratio."""
    mean = x.mean(axis=0)
    within = np.zeros((x.shape[1], x.shape[1]))
    centres = []
    for k in classes:
        mine = x[y == k]
        within += (mine - mine.mean(axis=0)).T @ (mine - mine.mean(axis=0))
        centres.append(mine.mean(axis=0) - mean)
    within /= len(x)
    c = np.array(centres)
    between = c.T @ c / len(c)
    evals, evecs = np.linalg.eigh(within + 1e-3 * np.eye(len(within)))
    whiten = evecs / np.sqrt(evals)
    bvals, bvecs = np.linalg.eigh(whiten.T @ between @ whiten)
    order = np.argsort(bvals)[::-1][:dims]
    return mean, whiten @ bvecs[:, order], bvals[order]
