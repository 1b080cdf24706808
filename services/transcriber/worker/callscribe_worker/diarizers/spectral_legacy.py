"""CPU diarizer, legacy mode (CALLSCRIBE_SPECTRAL_MODE=legacy): one embedding per VAD stretch, clustered with a threshold.

numpy/scipy only (Debian's python3-numpy, python3-scipy). Speech regions from the transcriber's VAD
are cut into stretches of at most 8 s (in practice, whole turns); each gets an embedding of its median log pitch (autocorrelation
F0 over voiced frames) and its mean MFCCs. Scales are fixed, not taken from the file, so one
threshold means "a different voice" in every recording: 1.0 is a 10% pitch difference, while the
MFCC part, which varies with what is said, contributes less. Average-linkage clustering cut at that
threshold gives the number of speakers, unless min/max pin it.

Measured here on espeak-ng voices: a voice's median pitch varies by +-4% across sentences; the
voices our tests use differ by 13% or more. Two real speakers of similar pitch and timbre will be
merged: that is what the pyannote backend is for.
"""
from __future__ import annotations

from typing import List, Sequence, Tuple

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.fft import dct, irfft, rfft

from . import Turn

_RATE = 16000
_FRAME = 400  # 25 ms MFCC frames
_HOP = 160  # 10 ms
_NFFT = 512
_MELS = 40
_CEPS = 13
_PITCH_FRAME = 640  # 40 ms: two periods of 50 Hz
_MIN_F0, _MAX_F0 = 60.0, 400.0
_VOICING = 0.4
_STRETCH_FRAMES = 800  # 8 s: whole turns, so sentence intonation averages out
_PITCH_SCALE = 0.10  # log-F0 difference that counts as 1.0 (10%)
_MFCC_SCALE = 25.0
_THRESHOLD = 1.0
_DEFAULT_MAX_SPEAKERS = 8


def _mel_filterbank() -> np.ndarray:
    def to_mel(f: np.ndarray) -> np.ndarray:
        return 2595.0 * np.log10(1.0 + f / 700.0)

    mels = np.linspace(to_mel(np.array(60.0)), to_mel(np.array(7600.0)), _MELS + 2)
    bins = np.floor((_NFFT + 1) * (700.0 * (10 ** (mels / 2595.0) - 1.0)) / _RATE).astype(int)
    fb = np.zeros((_MELS, _NFFT // 2 + 1), dtype=np.float32)
    for m in range(1, _MELS + 1):
        lo, mid, hi = bins[m - 1], bins[m], bins[m + 1]
        if mid > lo:
            fb[m - 1, lo:mid] = (np.arange(lo, mid) - lo) / (mid - lo)
        if hi > mid:
            fb[m - 1, mid:hi] = (hi - np.arange(mid, hi)) / (hi - mid)
    return fb


_FILTERBANK = _mel_filterbank()
_HAMMING = np.hamming(_FRAME).astype(np.float32)


def _frames(audio: np.ndarray, size: int) -> np.ndarray:
    n = 1 + (len(audio) - size) // _HOP
    return audio[np.arange(size)[None, :] + _HOP * np.arange(n)[:, None]]


def mfcc(audio: np.ndarray) -> np.ndarray:
    """(frames, 13) MFCCs at a 10 ms hop."""
    if len(audio) < _FRAME:
        return np.zeros((0, _CEPS), dtype=np.float32)
    power = np.abs(rfft(_frames(audio, _FRAME) * _HAMMING, n=_NFFT, axis=1)) ** 2
    return dct(np.log(power @ _FILTERBANK.T + 1e-8), type=2, axis=1, norm="ortho")[:, :_CEPS].astype(np.float32)


def log_pitch(audio: np.ndarray) -> np.ndarray:
    """log F0 per 10 ms frame, NaN where unvoiced (normalised autocorrelation peak below 0.4).

    Pitch (60-400 Hz) needs neither 16 kHz nor a 10 ms hop: it is measured at 8 kHz on 40 ms frames
    every 30 ms and repeated, which made it 9x cheaper (it was 95% of the diarizer's time) without
    moving a turn's median.
    """
    x = audio[: len(audio) // 2 * 2].reshape(-1, 2).mean(axis=1)  # 8 kHz; the pair mean is the anti-alias filter
    rate, size, hop = _RATE // 2, _PITCH_FRAME // 2, 3 * _HOP // 2
    if len(x) < size:
        return np.full(0, np.nan)
    n = 1 + (len(x) - size) // hop
    frames = x[np.arange(size)[None, :] + hop * np.arange(n)[:, None]]
    frames = frames - frames.mean(axis=1, keepdims=True)
    # 512 points: circular wrap only reaches lags above 512 - 320 = 192 > rate / _MIN_F0 = 133.
    ac = irfft(np.abs(rfft(frames, n=512, axis=1)) ** 2, n=512, axis=1)
    lo, hi = int(rate / _MAX_F0), int(rate / _MIN_F0)
    lag = lo + ac[:, lo:hi].argmax(axis=1)
    strength = ac[np.arange(n), lag] / (ac[:, 0] + 1e-9)
    coarse = np.where(strength > _VOICING, np.log(rate / lag), np.nan)
    return np.repeat(coarse, 3)


def _stretches(regions: Sequence[Tuple[float, float]]) -> List[Tuple[int, int]]:
    out: List[Tuple[int, int]] = []
    for start, end in regions:
        a, b = int(start * 100), max(int(start * 100) + 1, int(end * 100))
        n = max(1, int(np.ceil((b - a) / _STRETCH_FRAMES)))
        out.extend((a + (b - a) * i // n, a + (b - a) * (i + 1) // n) for i in range(n))
    return out


def _embed(mf: np.ndarray, pitch: np.ndarray, span: Tuple[int, int]) -> np.ndarray:
    a, b = span
    voiced = pitch[a : min(b, len(pitch))]
    voiced = voiced[~np.isnan(voiced)]
    timbre = mf[a:b, 1:].mean(axis=0) if b > a and a < len(mf) else np.zeros(_CEPS - 1)
    f0 = np.median(voiced) if len(voiced) >= 5 else np.nan
    return np.concatenate([[f0 / _PITCH_SCALE], timbre / _MFCC_SCALE])


def _cluster(embeddings: np.ndarray, min_speakers: int, max_speakers: int) -> np.ndarray:
    n = len(embeddings)
    hi = min(n, max_speakers if max_speakers > 0 else _DEFAULT_MAX_SPEAKERS)
    lo = min(max(1, min_speakers), hi)
    if n == 1:
        return np.zeros(1, dtype=int)
    tree = linkage(embeddings, method="average", metric="euclidean")
    labels = fcluster(tree, _THRESHOLD, criterion="distance")
    count = len(np.unique(labels))
    if count < lo or count > hi:
        labels = fcluster(tree, lo if count < lo else hi, criterion="maxclust")
    return labels - 1


def _turns(spans: List[Tuple[int, int]], labels: np.ndarray) -> List[Turn]:
    # Speakers are numbered in order of first appearance; a speaker's adjacent stretches become one turn.
    names: dict[int, str] = {}
    turns: List[Turn] = []
    for (a, b), label in zip(spans, labels):
        speaker = names.setdefault(int(label), f"SPEAKER_{len(names):02d}")
        if turns and turns[-1].speaker == speaker and a / 100.0 - turns[-1].end < 0.05:
            turns[-1].end = b / 100.0
        else:
            turns.append(Turn(a / 100.0, b / 100.0, speaker))
    return turns


class LegacySpectralDiarizer:
    name = "spectral"
    model = "spectral-legacy"

    def diarize(self, audio: np.ndarray, regions: Sequence[Tuple[float, float]], min_speakers: int, max_speakers: int) -> List[Turn]:
        spans = _stretches(regions)
        if not spans:
            return []
        audio = audio.astype(np.float32)
        mf, pitch = mfcc(audio), log_pitch(audio)
        embeddings = np.array([_embed(mf, pitch, s) for s in spans])
        voiced = ~np.isnan(embeddings[:, 0])
        if not voiced.any():
            return _turns(spans, np.zeros(len(spans), dtype=int))
        labels = np.zeros(len(spans), dtype=int)
        labels[voiced] = _cluster(embeddings[voiced], min_speakers, max_speakers)
        # A stretch without enough voicing (a cough, a breath) joins its nearest voiced neighbour in time.
        voiced_at = np.flatnonzero(voiced)
        for i in np.flatnonzero(~voiced):
            labels[i] = labels[voiced_at[np.abs(voiced_at - i).argmin()]]
        return _turns(spans, labels)
