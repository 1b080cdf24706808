"""A recording's speech as the conversation diarizer sees it: normalised MFCC + log pitch frames,
which of them are voiced, and 1 s pieces, each summed up as its shrunk mean vector.

Shared by the diarizer (spectral.py) and the script that learns the speaker space from real voices
(dev/train-speaker-stats.py), so both see exactly the same vectors.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

import numpy as np

from .spectral_legacy import log_pitch
from .speaker_embedding import log_mel
from .voice_features import frame_features, normalise, power_spectra

PIECE = 100  # frames (1 s) per clustering unit
_QUIET_PERCENT = 30  # the quietest 30% of speech frames (pauses, breaths, reverb tails) shape no model
_RELEVANCE = 8.0  # frames: a piece's mean is shrunk towards the recording's by this many
_MIN_VOICED_FRAMES = 50
_MIN_RUN = 5  # frames: a speech region shorter than 50 ms is not a turn


@dataclass
class Speech:
    runs: List[Tuple[int, int]]  # speech regions in recording frames
    local: List[Tuple[int, int]]  # the same regions in x
    x: np.ndarray  # (speech frames, 20): normalised MFCCs and log pitch, run after run
    voiced: np.ndarray  # which of them shape speaker models
    f0: np.ndarray  # log pitch as measured, NaN where unvoiced
    pieces: List[Tuple[int, int]]  # 1 s pieces of x, never across a region's edge
    mel: Optional[np.ndarray] = None  # (recording frames, 32) log-mels for the embedding network, when asked


def speech(audio: np.ndarray, regions: Sequence[Tuple[float, float]], with_mel: bool = False) -> Optional[Speech]:
    audio = np.ascontiguousarray(audio, dtype=np.float32)
    power = power_spectra(audio)
    mfcc, energy = frame_features(audio, power)
    frames = len(mfcc)
    runs = [(int(s * 100), min(frames, int(e * 100))) for s, e in regions]
    runs = [(a, b) for a, b in runs if b - a >= _MIN_RUN]
    if not runs:
        return None
    pitch = log_pitch(audio)
    f0 = np.full(frames, np.nan)
    f0[: min(len(pitch), frames)] = pitch[:frames]
    is_speech = np.zeros(frames, dtype=bool)
    for a, b in runs:
        is_speech[a:b] = True
    pitched = ~np.isnan(f0)
    fill = float(np.median(f0[is_speech & pitched])) if (is_speech & pitched).any() else 0.0
    x = normalise(np.column_stack([mfcc, np.where(pitched, f0, fill)]), is_speech)
    take = np.concatenate([np.arange(a, b) for a, b in runs])
    loud = energy[take]
    voiced = (loud > np.percentile(loud, _QUIET_PERCENT)) & pitched[take]
    if voiced.sum() < _MIN_VOICED_FRAMES:  # whispers, noise, a pitch tracker that found nothing
        voiced = np.ones(len(take), dtype=bool)
    local, at = [], 0
    for a, b in runs:
        local.append((at, at + b - a))
        at += b - a
    pieces = []
    for a, b in local:
        n = max(1, round((b - a) / PIECE))
        pieces.extend((a + (b - a) * i // n, a + (b - a) * (i + 1) // n) for i in range(n))
    mel = log_mel(audio, power) if with_mel else None
    return Speech(runs, local, x[take].astype(np.float64), voiced, f0[take], pieces, mel)


def shrunk_means(s: Speech) -> np.ndarray:
    """(pieces, 20): each piece's mean over its voiced frames, shrunk towards the recording's (0)."""
    xv = s.x * s.voiced[:, None]
    return np.array([xv[a:b].sum(axis=0) / (s.voiced[a:b].sum() + _RELEVANCE) for a, b in s.pieces])


def piece_vectors(audio: np.ndarray, regions: Sequence[Tuple[float, float]]) -> Tuple[np.ndarray, List[int]]:
    """Every piece's vector and the index of the region it came from (for training; every region must
    be at least 50 ms long, or the indices shift)."""
    s = speech(audio, regions)
    if s is None:
        return np.zeros((0, 20)), []
    owner = []
    for a, _b in s.pieces:
        owner.append(next(i for i, (la, lb) in enumerate(s.local) if la <= a < lb))
    return shrunk_means(s), owner
