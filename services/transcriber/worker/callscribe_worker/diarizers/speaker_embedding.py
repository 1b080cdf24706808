"""A small speaker-embedding network learned from real voices (dev/train-speaker-embedding.py, the
LibriSpeech readers of the train split only), run in numpy: no torch in the worker.

Input: 32 log-mel bands over 300-3400 Hz (the telephone band, whatever the sample rate), 10 ms hop,
less one level for the whole recording (a speaker's loudness is not their identity; training shifts
each crop's level at random so the network ignores what is left). A TDNN (four 1-D convolutions,
ReLU then batch norm, 'same' zero padding), mean and standard deviation pooled over a piece's frames,
one linear layer; then a linear discriminant projection learned on the train readers' conversations
(within-speaker scatter whitened, the 16 directions where speakers differ most kept): a unit-length
vector per piece, where one speaker's pieces point the same way.

The trunk runs once over each speech region, so a piece's frames see their neighbours as in training
(crops of 1-2 s); only the pooling is per piece.
"""
from __future__ import annotations

import os
from typing import TYPE_CHECKING, List, Tuple

import numpy as np
from .voice_features import NFFT, mel_filterbank, power_spectra

if TYPE_CHECKING:  # piece_vectors imports this module for log_mel
    from .piece_vectors import Speech

MELS = 32
FILTERBANK = mel_filterbank(300.0, 3400.0, MELS, NFFT)
PATH = os.path.join(os.path.dirname(__file__), "data", "speaker-embedding.npz")


def log_mel(audio: np.ndarray, power: np.ndarray | None = None) -> np.ndarray:
    """(frames, MELS) log-mel energies, frame t as in voice_features (power: its power_spectra)."""
    power = power_spectra(audio) if power is None else power
    return np.log(power @ FILTERBANK.T + 1e-6).astype(np.float32)


class SpeakerEmbedding:
    def __init__(self, path: str = PATH, projected: bool = True) -> None:
        """projected=False: the network alone (dev/fit-embedding-space.py, before the projection exists)."""
        w = np.load(path)
        self.layers: List[Tuple[np.ndarray, np.ndarray, int, np.ndarray, np.ndarray]] = []
        i = 0
        while f"conv{i}.weight" in w:
            # (out, in, k) -> (k, in, out) so each tap is one matmul.
            weight = np.ascontiguousarray(w[f"conv{i}.weight"].astype(np.float32).transpose(2, 1, 0))
            self.layers.append((weight, w[f"conv{i}.bias"].astype(np.float32), int(w[f"conv{i}.dilation"]), w[f"bn{i}.scale"].astype(np.float32), w[f"bn{i}.shift"].astype(np.float32)))
            i += 1
        self.out_weight = w["embed.weight"].astype(np.float32).T
        self.out_bias = w["embed.bias"].astype(np.float32)
        self.lda_mean = w["lda.mean"].astype(np.float32) if projected else np.zeros(len(self.out_bias), dtype=np.float32)
        self.lda = w["lda.projection"].astype(np.float32) if projected else np.eye(len(self.out_bias), dtype=np.float32)
        self.dims = int(self.lda.shape[1])

    def trunk(self, feats: np.ndarray) -> np.ndarray:
        """(frames, MELS) normalised log-mels of one speech region -> (frames, channels)."""
        h = feats
        for weight, bias, dilation, scale, shift in self.layers:
            k = weight.shape[0]
            pad = dilation * (k - 1) // 2
            padded = np.pad(h, ((pad, pad), (0, 0)))
            # All taps side by side: one matrix product per layer.
            taps = np.concatenate([padded[tap * dilation : tap * dilation + len(h)] for tap in range(k)], axis=1) if k > 1 else h
            h = np.maximum(taps @ weight.reshape(-1, weight.shape[2]) + bias, 0.0) * scale + shift
        return h

    def embedding(self, h: np.ndarray) -> np.ndarray:
        """(frames, channels) -> the network's embedding of those frames, unit length (its training
        loss only ever saw its direction)."""
        return self.embeddings(np.concatenate([h.mean(axis=0), np.sqrt(h.var(axis=0) + 1e-5)])[None])[0]

    def embeddings(self, stats: np.ndarray) -> np.ndarray:
        """(n, 2 x channels) pooled means and standard deviations -> (n, dims) unit embeddings."""
        e = stats @ self.out_weight + self.out_bias
        return e / (np.linalg.norm(e, axis=1, keepdims=True) + 1e-9)

    def projected(self, e: np.ndarray) -> np.ndarray:
        """(n, network dims) unit embeddings -> (n, dims) unit vectors in the speaker space."""
        z = (e - self.lda_mean) @ self.lda
        return z / (np.linalg.norm(z, axis=1, keepdims=True) + 1e-9)


_MODEL: SpeakerEmbedding | None = None


def model() -> SpeakerEmbedding:
    global _MODEL
    if _MODEL is None:
        _MODEL = SpeakerEmbedding()
    return _MODEL


def embed_pieces(s: "Speech", raw: bool = False) -> np.ndarray:
    """(pieces, dims) unit vectors in the speaker space, one per 1 s piece of s (speech(...,
    with_mel=True)); raw: the network's own embeddings, for learning the projection."""
    net = model()
    mel, runs, local, pieces = s.mel, s.runs, s.local, s.pieces
    assert mel is not None, "speech(..., with_mel=True)"
    speech = np.concatenate([mel[a:b] for a, b in runs]) if runs else mel[:0]
    level = float(speech.mean()) if len(speech) else 0.0
    stats = np.zeros((len(pieces), 2 * net.layers[-1][1].shape[0]), dtype=np.float32)
    at = 0
    for (a, b), (la, lb) in zip(runs, local):
        h = net.trunk(mel[a:b] - level)
        while at < len(pieces) and pieces[at][0] < lb:
            pa, pb = pieces[at]
            frames = h[pa - la : max(pb, pa + 1) - la]
            stats[at] = np.concatenate([frames.mean(axis=0), np.sqrt(frames.var(axis=0) + 1e-5)])
            at += 1
    e = net.embeddings(stats)
    return e if raw else net.projected(e)
