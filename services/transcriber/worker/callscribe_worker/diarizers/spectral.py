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
from typing import List, Optional, Sequence, Tuple

import numpy as np

from ..backends import BackendLoadError
from . import Turn
from .affinity_clusters import affinity, laplacian_spectrum, spectral_labels
from .affinity_clusters import project as own_directions
from .resegment import resegment
from .gaussian_stats import fit_gain
from .pitch_split import GAP_ESPEAK, split_by_pitch
from .speaker_count import EVIDENCE_RULE, GAIN_RULE, SHARPNESS, SpeakerCount, change_ratio, choose, confidence
from .speaker_space import evidence, project
from .piece_vectors import Speech, shrunk_means, speech
from . import embedding_count, speaker_embedding
from .spectral_legacy import LegacySpectralDiarizer

_DEFAULT_MAX_SPEAKERS = 8
_KEEP = 0.3  # each piece keeps its strongest 30% of links in the affinity
_OWN_DIMS = 16
_PITCH_WEIGHT = 3.0  # pitch counts as three MFCC dimensions in the recording's own embedding (espeak dev: DER 0.13 -> 0.10)


def _own(shrunk: np.ndarray) -> np.ndarray:
    """The recording's own main directions of variation, pitch weighted."""
    own = shrunk.copy()
    own[:, -1] *= _PITCH_WEIGHT
    return own_directions(own, _OWN_DIMS)


def _learned_and_own(shrunk: np.ndarray, z: np.ndarray) -> np.ndarray:
    """voices mode: the mean of two pruned cosine affinities, in the speaker space learned from real
    voices and in the recording's own directions. Dev splits, two-speaker DER: real voices 0.129
    (own only) / 0.054 (learned only) / 0.052 (both); espeak voices 0.057 / 0.065 / 0.058."""
    learned = z - z.mean(axis=0)
    learned /= np.linalg.norm(learned, axis=1, keepdims=True) + 1e-9
    return 0.5 * (affinity(learned, _KEEP) + affinity(_own(shrunk), _KEEP))


def _by_embedding(s: Speech, lo: int, hi: int) -> Tuple[List[Turn], SpeakerCount]:
    """`embedding` mode: pieces placed by the network learned from real voices, counted and grouped by
    average linkage (embedding_count.py), then every turn edge re-drawn frame by frame (resegment)."""
    z = embedding_count.smoothed(speaker_embedding.embed_pieces(s), s)
    owner, scores = embedding_count.count_speakers(z, lo, hi)
    k = int(owner.max()) + 1
    labels = np.zeros(len(s.x), dtype=np.int32)
    if k > 1:
        for (a, b), c in zip(s.pieces, owner):
            labels[a:b] = c
        redrawn = np.unique(resegment(s.x, s.voiced, s.local, labels, k), return_inverse=True)[1].astype(np.int32)
        # Resegmentation may empty a speaker; min_speakers still holds.
        if int(redrawn.max()) + 1 >= lo:
            labels = redrawn
    final = int(labels.max()) + 1
    if lo == hi:
        return _turns(s.runs, s.local, labels), SpeakerCount(confidence=1.0, alternatives=[(final, 1.0)])
    # The count reported is the one the turns hold; a speaker emptied by resegmentation moves it.
    scores.setdefault(final, scores[k])
    return _turns(s.runs, s.local, labels), confidence(scores, final)


class ConversationDiarizer:
    """`conversation` (own directions, fit-gain count), `voices` (the LDA speaker space of MFCC
    pieces for clustering and counting) or `embedding` (the speaker-embedding network)."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.learned = mode == "voices"

    def diarize(self, audio: np.ndarray, regions: Sequence[Tuple[float, float]], min_speakers: int, max_speakers: int) -> Tuple[List[Turn], SpeakerCount]:
        s = speech(audio, regions, with_mel=self.mode == "embedding")
        if s is None:
            return [], SpeakerCount(confidence=0.0, alternatives=[])
        x, voiced, f0, runs, local, pieces = s.x, s.voiced, s.f0, s.runs, s.local, s.pieces
        hi = min(len(pieces), max_speakers if max_speakers > 0 else _DEFAULT_MAX_SPEAKERS)
        lo = min(max(1, min_speakers), hi)
        if self.mode == "embedding":
            return _by_embedding(s, lo, hi)
        shrunk = shrunk_means(s)
        z = project(shrunk)
        vectors = None
        if len(pieces) > 1:
            vectors = laplacian_spectrum(_learned_and_own(shrunk, z) if self.learned else affinity(_own(shrunk), _KEEP))[1]

        def owners(labels: np.ndarray) -> np.ndarray:
            """Each piece's speaker: the one holding most of its frames."""
            count = int(labels.max()) + 1
            return np.array([np.bincount(labels[a:b], minlength=count).argmax() for a, b in pieces])

        def fit(labels: np.ndarray) -> float:
            """The count rule's measure of how well these speakers explain the voices."""
            if not self.learned:
                return fit_gain(x[voiced], labels[voiced], int(labels.max()) + 1)
            return evidence(z, owners(labels)) / len(pieces)

        def partition(k: int) -> Tuple[np.ndarray, float]:
            labels = np.zeros(len(x), dtype=np.int32)
            if k > 1:
                for (a, b), c in zip(pieces, spectral_labels(vectors, k)):
                    labels[a:b] = c
                redrawn = np.unique(resegment(x, voiced, local, labels, k), return_inverse=True)[1].astype(np.int32)
                # Resegmentation may empty a speaker; min_speakers still holds (lo <= count).
                if int(redrawn.max()) + 1 >= min(k, lo):
                    labels = redrawn
            return labels, fit(labels)

        rule = EVIDENCE_RULE if self.learned else GAIN_RULE
        labels, measured, scores = choose(partition, lo, hi, rule, lambda labels: change_ratio(owners(labels)))
        k = int(labels.max()) + 1
        # voices mode: no pitch split. On the real-voice dev split it turned right counts into wrong
        # ones at any gap tried (speech regions from the RTTM, with the current count rule: 31/40 counts
        # right without it, 27/40 at a 30% gap, 23/40 at 10%).
        if k < hi and not self.learned:
            split = split_by_pitch(labels, f0, local, hi, GAP_ESPEAK)
            if split.max() > labels.max():
                redrawn = resegment(x, voiced, local, split, int(split.max()) + 1)
                labels = np.unique(redrawn, return_inverse=True)[1].astype(np.int32)
                # The pitch rule overrides the count rule; its step is scored the same way, so a split
                # the voices do not back shows as low confidence.
                more = int(labels.max()) + 1
                scores[more] = scores.get(k, 0.0) + SHARPNESS * rule.margin(fit(labels) - measured, k)
                k = more
        return _turns(runs, local, labels), confidence(scores, k)


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


MODES = ("conversation", "embedding", "voices", "legacy")


class SpectralDiarizer:
    name = "spectral"

    def __init__(self) -> None:
        mode = os.environ.get("CALLSCRIBE_SPECTRAL_MODE", "") or "conversation"
        if mode not in MODES:
            raise BackendLoadError(f"CALLSCRIBE_SPECTRAL_MODE={mode!r} is not one of {', '.join(MODES)}")
        self.model = f"spectral-{mode}"
        self._impl = LegacySpectralDiarizer() if mode == "legacy" else ConversationDiarizer(mode)
        if mode == "embedding":
            speaker_embedding.model()  # load the weights at start, not on the first request

    def diarize(self, audio: np.ndarray, regions: Sequence[Tuple[float, float]], min_speakers: int, max_speakers: int) -> List[Turn]:
        return self.diarize_counted(audio, regions, min_speakers, max_speakers)[0]

    def diarize_counted(self, audio: np.ndarray, regions: Sequence[Tuple[float, float]], min_speakers: int, max_speakers: int) -> Tuple[List[Turn], Optional[SpeakerCount]]:
        """Turns, and how sure the count is (None from the legacy mode, which does not weigh it)."""
        if isinstance(self._impl, LegacySpectralDiarizer):
            return self._impl.diarize(audio, regions, min_speakers, max_speakers), None
        return self._impl.diarize(audio, regions, min_speakers, max_speakers)
