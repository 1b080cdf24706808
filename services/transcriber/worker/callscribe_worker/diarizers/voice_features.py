"""Frame features for telling voices apart: MFCCs over the telephone band, normalised per recording.

The filterbank spans 300-3400 Hz whatever the sample rate was, so a call that went through an 8 kHz
line and one recorded wide band give the same kind of vector; c0 (loudness) is left out, so a
speaker's distance from the microphone is not their identity.
"""
from __future__ import annotations

import numpy as np
from scipy.fft import dct, rfft

RATE = 16000
HOP = 160  # 10 ms
_FRAME = 400  # 25 ms
NFFT = _NFFT = 512
_MELS = 24
CEPS = 19  # c1..c19


def mel_filterbank(low_hz: float, high_hz: float, mels: int = _MELS, nfft: int = _NFFT) -> np.ndarray:
    """(mels, nfft // 2 + 1) triangular filters, evenly spaced in mel between low_hz and high_hz."""

    def to_mel(f: np.ndarray) -> np.ndarray:
        return 2595.0 * np.log10(1.0 + f / 700.0)

    edges = np.linspace(to_mel(np.array(low_hz)), to_mel(np.array(high_hz)), mels + 2)
    hz = 700.0 * (10 ** (edges / 2595.0) - 1.0)
    freqs = np.arange(nfft // 2 + 1) * RATE / nfft
    fb = np.zeros((mels, len(freqs)), dtype=np.float32)
    for m in range(mels):
        lo, mid, hi = hz[m], hz[m + 1], hz[m + 2]
        fb[m] = np.clip(np.minimum((freqs - lo) / (mid - lo), (hi - freqs) / (hi - mid)), 0.0, None)
    return fb


_FILTERBANK = mel_filterbank(300.0, 3400.0)
WINDOW = _WINDOW = np.hamming(_FRAME).astype(np.float32)


def power_spectra(audio: np.ndarray) -> np.ndarray:
    """(frames, NFFT // 2 + 1) power spectra of 25 ms Hamming frames every 10 ms: computed once per
    recording and shared by the MFCCs and the speaker-embedding network's log-mels."""
    audio = np.ascontiguousarray(audio, dtype=np.float32)
    if len(audio) < _FRAME:
        return np.zeros((0, _NFFT // 2 + 1), dtype=np.float32)
    n = 1 + (len(audio) - _FRAME) // HOP
    frames = np.lib.stride_tricks.as_strided(audio, shape=(n, _FRAME), strides=(audio.strides[0] * HOP, audio.strides[0]))
    return (np.abs(rfft(frames * _WINDOW, n=_NFFT, axis=1)) ** 2).astype(np.float32)


def frame_features(audio: np.ndarray, power: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(frames, CEPS) MFCCs and (frames,) log energy, one frame every 10 ms (power: power_spectra's
    answer for this audio, when already computed)."""
    power = power_spectra(audio) if power is None else power
    if len(power) == 0:
        return np.zeros((0, CEPS), dtype=np.float32), np.zeros(0, dtype=np.float32)
    logmel = np.log(power @ _FILTERBANK.T + 1e-9)
    ceps = dct(logmel, type=2, axis=1, norm="ortho")
    energy = np.log(power.sum(axis=1) + 1e-9)
    return ceps[:, 1 : CEPS + 1].astype(np.float32), energy.astype(np.float32)


def normalise(features: np.ndarray, speech: np.ndarray) -> np.ndarray:
    """Mean and variance normalisation over the recording's speech frames (removes the channel)."""
    ref = features[speech] if speech.any() else features
    return (features - ref.mean(axis=0)) / (ref.std(axis=0) + 1e-6)
