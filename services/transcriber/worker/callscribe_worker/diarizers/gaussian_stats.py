"""Full-covariance Gaussians of frame sets: the speaker models of resegmentation and counting."""
from __future__ import annotations

import numpy as np

# Added to every covariance: keeps a small cluster's Gaussian from being singular (features have
# unit variance after normalisation, so this is 5% of it).
RIDGE = 0.05


def fit(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and ridged covariance; a set too small to estimate one gets the unit Gaussian."""
    d = x.shape[1]
    if len(x) <= d:
        return np.zeros(d), np.eye(d) * (1.0 + RIDGE)
    return x.mean(axis=0), np.cov(x, rowvar=False) + RIDGE * np.eye(d)


def log_likelihoods(x: np.ndarray, models: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """(frames, models) log-likelihoods, up to the constant all models share."""
    out = np.empty((len(x), len(models)))
    for k, (mean, cov) in enumerate(models):
        chol = np.linalg.cholesky(cov)
        z = np.linalg.solve(chol, (x - mean).T)
        out[:, k] = -0.5 * (z * z).sum(axis=0) - np.log(np.diag(chol)).sum()
    return out


def fit_gain(x: np.ndarray, labels: np.ndarray, k: int) -> float:
    """How much better, in nats per frame, one Gaussian per cluster explains x than one for all:
    the likelihood half of BIC, without the parameter count (see speaker_count.py)."""
    def half_logdet(xs: np.ndarray) -> float:
        return 0.5 * len(xs) * float(np.linalg.slogdet(fit(xs)[1])[1])

    apart = sum(half_logdet(x[labels == c]) for c in range(k))
    return (half_logdet(x) - apart) / len(x)
