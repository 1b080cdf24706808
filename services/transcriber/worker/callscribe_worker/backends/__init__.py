"""Speech engines behind one small interface; each module imports its heavy library lazily."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Protocol, Sequence

import numpy as np


@dataclass
class Word:
    text: str
    start: float
    end: float
    confidence: float = 0.0


@dataclass
class Segment:
    start: float
    end: float
    text: str
    words: List[Word] = field(default_factory=list)


@dataclass
class EngineInfo:
    backend: str
    model: str
    device: str
    compute_type: str
    # Languages the model can transcribe; ["*"] for multilingual models.
    languages: List[str]


class Backend(Protocol):
    info: EngineInfo

    def transcribe_batch(self, chunks: Sequence[np.ndarray], language: str, word_timestamps: bool) -> List[List[Segment]]:
        """One list of segments per chunk, times in seconds from the chunk's start."""
        ...


class BackendLoadError(RuntimeError):
    """The backend cannot start here (library, weights, device or token missing); the message says which."""


DIARIZERS = ("spectral", "pyannote")


def load_diarizer(name: str):  # -> Diarizer; imported lazily, like the engines
    if name == "spectral":
        from ..diarizers.spectral import SpectralDiarizer

        return SpectralDiarizer()
    if name == "pyannote":
        from ..diarizers.pyannote_backend import PyannoteDiarizer

        return PyannoteDiarizer()
    raise BackendLoadError(f"unknown diarizer {name!r}; choose spectral or pyannote")


def load_backend(name: str) -> Backend:
    if name == "sphinx":
        from .sphinx import SphinxBackend

        return SphinxBackend()
    if name == "whisperx":
        from .whisperx_backend import WhisperXBackend

        return WhisperXBackend()
    if name == "hf":
        from .hf_whisper import HfWhisperBackend

        return HfWhisperBackend()
    raise BackendLoadError(f"unknown backend {name!r}; choose sphinx, whisperx or hf")
