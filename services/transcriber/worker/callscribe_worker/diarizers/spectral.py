"""CPU diarizer (numpy/scipy only): who spoke when in a mono recording, from the VAD's speech regions.

Default mode, for conversations (docs/diarization.md): speech is cut into 1 s pieces, so a VAD
region holding two voices is never one unit; each piece is embedded as its shrunk mean of
per-recording normalised MFCCs and log pitch; pieces are clustered spectrally on a pruned cosine
affinity; a Viterbi pass then re-draws every turn edge frame by frame against each speaker's
Gaussian, which is where speaker changes with no pause between them are found. The number of
speakers is the one past which another speaker stops explaining the voices better
(speaker_count.py), plus a split of any cluster whose turns fall in two clearly different pitches
(pitch_split.py); min/max, when given, bound it exactly.

CALLSCRIBE_SPECTRAL_MODE=legacy selects the previous diarizer (one pitch/MFCC embedding per VAD
stretch, threshold clustering), kept so the two can be benchmarked side by side.
"""
from __future__ import annotations

import os
from typing import List, Sequence, Tuple

import numpy as np

from . import Turn
from .affinity_clusters import affinity, laplacian_spectrum, project, spectral_labels
from .gaussian_stats import fit_gain
from .resegment import resegment
from .pitch_split import split_by_pitch
from .speaker_count import choose
from .spectral_legacy import LegacySpectralDiarizer, log_pitch
from .voice_features import frame_features, normalise

_DEFAULT_MAX_SPEAKERS = 8
_PIECE = 100  # frames (1 s) per clustering unit
_QUIET_PERCENT = 30  # the quietest 30% of speech frames (pauses, breaths, reverb tails) shape no model
_RELEVANCE = 8.0  # frames: a piece's mean is shrunk towards the recording's by this many
_MIN_VOICED_FRAMES = 50
_DIMS = 16
_PITCH_WEIGHT = 3.0  # pitch counts as three MFCC dimensions in a piece embedding (dev split: DER 0.13 -> 0.10)
_KEEP = 0.3  # each piece keeps its strongest 30% of links in the affinity


def _pieces(runs: List[Tuple[int, int]]) -> List[Tuple[int, int]]:
    out = []
    for a, b in runs:
        n = max(1, round((b - a) / _PIECE))
        out.extend((a + (b - a) * i // n, a + (b - a) * (i + 1) // n) for i in range(n))
    return out


def _features(audio: np.ndarray, runs: List[Tuple[int, int]], frames: int, mfcc: np.ndarray, energy: np.ndarray) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Speech frames run after run: normalised MFCCs plus log pitch, which of them are voiced, and
    their log pitch as measured (NaN where unvoiced)."""
    pitch = log_pitch(audio)
    f0 = np.full(frames, np.nan)
    f0[: min(len(pitch), frames)] = pitch[:frames]
    speech = np.zeros(frames, dtype=bool)
    for a, b in runs:
        speech[a:b] = True
    pitched = ~np.isnan(f0)
    fill = float(np.median(f0[speech & pitched])) if (speech & pitched).any() else 0.0
    x = normalise(np.column_stack([mfcc, np.where(pitched, f0, fill)]), speech)
    take = np.concatenate([np.arange(a, b) for a, b in runs])
    loud = energy[take]
    voiced = (loud > np.percentile(loud, _QUIET_PERCENT)) & pitched[take]
    if voiced.sum() < _MIN_VOICED_FRAMES:  # whispers, noise, a pitch tracker that found nothing
        voiced = np.ones(len(take), dtype=bool)
    return x[take].astype(np.float64), voiced, f0[take]


class ConversationDiarizer:
    def diarize(self, audio: np.ndarray, regions: Sequence[Tuple[float, float]], min_speakers: int, max_speakers: int) -> List[Turn]:
        audio = np.ascontiguousarray(audio, dtype=np.float32)
        mfcc, energy = frame_features(audio)
        runs = [(int(s * 100), min(len(mfcc), int(e * 100))) for s, e in regions]
        runs = [(a, b) for a, b in runs if b - a >= 5]
        if not runs:
            return []
        x, voiced, f0 = _features(audio, runs, len(mfcc), mfcc, energy)
        local, at = [], 0
        for a, b in runs:
            local.append((at, at + b - a))
            at += b - a
        pieces = _pieces(local)
        hi = min(len(pieces), max_speakers if max_speakers > 0 else _DEFAULT_MAX_SPEAKERS)
        lo = min(max(1, min_speakers), hi)
        xv = x * voiced[:, None]
        shrunk = np.array([xv[a:b].sum(axis=0) / (voiced[a:b].sum() + _RELEVANCE) for a, b in pieces])
        shrunk[:, -1] *= _PITCH_WEIGHT
        _, vectors = laplacian_spectrum(affinity(project(shrunk, _DIMS), _KEEP)) if len(pieces) > 1 else (None, None)

        def partition(k: int) -> Tuple[np.ndarray, float]:
            labels = np.zeros(len(x), dtype=np.int32)
            if k == 1:
                return labels, 0.0
            for (a, b), c in zip(pieces, spectral_labels(vectors, k)):
                labels[a:b] = c
            redrawn = np.unique(resegment(x, voiced, local, labels, k), return_inverse=True)[1].astype(np.int32)
            # Resegmentation may empty a speaker; min_speakers still holds (lo <= count).
            if int(redrawn.max()) + 1 >= min(k, lo):
                labels = redrawn
            count = int(labels.max()) + 1
            return labels, fit_gain(x[voiced], labels[voiced], count)

        labels = choose(partition, lo, hi)
        if int(labels.max()) + 1 < hi:
            split = split_by_pitch(labels, f0, local, hi)
            if split.max() > labels.max():
                redrawn = resegment(x, voiced, local, split, int(split.max()) + 1)
                labels = np.unique(redrawn, return_inverse=True)[1].astype(np.int32)
        return _turns(runs, local, labels)


def _turns(runs: List[Tuple[int, int]], local: List[Tuple[int, int]], labels: np.ndarray) -> List[Turn]:
    # Speakers are numbered in order of first appearance.
    names: dict[int, str] = {}
    turns: List[Turn] = []
    for (a, _b), (la, lb) in zip(runs, local):
        seg = labels[la:lb]
        cuts = np.flatnonzero(np.diff(seg)) + 1
        for s, e in zip(np.r_[0, cuts], np.r_[cuts, len(seg)]):
            speaker = names.setdefault(int(seg[s]), f"SPEAKER_{len(names):02d}")
            turns.append(Turn((a + s) / 100.0, (a + e) / 100.0, speaker))
    return turns


class SpectralDiarizer:
    name = "spectral"

    def __init__(self) -> None:
        legacy = os.environ.get("CALLSCRIBE_SPECTRAL_MODE", "") == "legacy"
        self.model = "spectral-legacy" if legacy else "spectral-conversation"
        self._impl = LegacySpectralDiarizer() if legacy else ConversationDiarizer()

    def diarize(self, audio: np.ndarray, regions: Sequence[Tuple[float, float]], min_speakers: int, max_speakers: int) -> List[Turn]:
        return self._impl.diarize(audio, regions, min_speakers, max_speakers)
