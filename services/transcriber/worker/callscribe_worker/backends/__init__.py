"""Speech engines behind one small interface; each module imports its heavy library lazily."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, List, Optional, Protocol, Sequence

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
class ItemResult:
    """What one chunk of a batch became."""

    segments: List[Segment]
    # The Whisper code the engine transcribed with: the one asked for, or the one it detected.
    language: str
    # True when the segments carry word timings; False when they were asked for and could not be
    # made (no alignment model for the language, alignment failed for this chunk) or not asked for,
    # and whenever a segment has no words (items.py enforces that for every backend).
    aligned: bool


@dataclass(frozen=True)
class Decoding:
    """How one item asks to be decoded beyond its language (only sent to engines listing the options)."""

    # Whisper's initial prompt: the text the decoder continues from; "" for none.
    prompt: str = ""
    # 0 decodes deterministically (beam search or greedy); above 0 the engine samples.
    temperature: float = 0.0


PLAIN = Decoding()


def run_grouped(
    chunks: Sequence[np.ndarray],
    languages: Sequence[str],
    decoding: Optional[Sequence[Decoding]],
    key: Callable[[Decoding], Any],
    run: Callable[[List[np.ndarray], List[str], List[Decoding]], List["ItemResult"]],
) -> List["ItemResult"]:
    """One `run` per distinct key(decoding) (in key order), answers back in the batch's order.

    For engines that take a decoding option once per call rather than per item (a sampling
    temperature, hf's prompt_ids); a batch that agrees on it, nearly every batch, is one call.
    """
    decodings = list(decoding) if decoding is not None else [PLAIN] * len(chunks)
    keys = [key(d) for d in decodings]
    out: List[Any] = [None] * len(chunks)
    for k in sorted(set(keys)):
        idx = [i for i, kk in enumerate(keys) if kk == k]
        for i, r in zip(idx, run([chunks[i] for i in idx], [languages[i] for i in idx], [decodings[i] for i in idx])):
            out[i] = r
    return out


@dataclass
class EngineInfo:
    backend: str
    model: str
    device: str
    compute_type: str
    # Languages the model can transcribe (Whisper codes); ["*"] for multilingual models.
    languages: List[str]
    # The CUDA device this worker is pinned to (CUDA_VISIBLE_DEVICES), "" on CPU.
    gpu: str = ""
    # The per-item decoding options this engine honours ("prompt", "temperature"); the transcriber
    # refuses a request that asks for one the engine lacks rather than let it be ignored.
    options: List[str] = field(default_factory=list)


class Backend(Protocol):
    info: EngineInfo

    def transcribe_batch(self, chunks: Sequence[np.ndarray], languages: Sequence[str], word_timestamps: bool) -> List[ItemResult]:
        """One result per chunk, in order; languages[i] is a Whisper code or "" (detect).

        A backend whose `info.options` is not empty also takes `decoding=`, one Decoding per chunk;
        the others are never passed it (items.py refuses those options for them).

        Times are seconds from the chunk's start. Raising fails the batch; the worker then retries
        it in halves (out of GPU memory) or one chunk at a time, so an exception here never fails
        more than the chunk that causes it. A CUDA error other than out of memory ends the worker
        (device_errors.py): do not catch one without `raise_if_device_error`.
        """
        ...


class BackendLoadError(RuntimeError):
    """The backend cannot start here (library, weights, device or token missing); the message says which."""


# The packages each backend imports, and how to get them into the worker's interpreter.
INSTALL_HINTS = {
    "sphinx": ("pocketsphinx", "apt-get install python3-pocketsphinx pocketsphinx-en-us (Debian) and use /usr/bin/python3"),
    "whisperx": ("whisperx", 'pip install "whisperx>=3.8,<3.9" (pulls faster-whisper 1.2, torch, torchaudio, transformers)'),
    "hf": ("transformers", 'pip install torch "transformers>=4.57"'),
    "pyannote": ("pyannote.audio", 'pip install "pyannote.audio>=4,<5"'),
}


def missing_library(backend: str, exc: ImportError) -> BackendLoadError:
    """A BackendLoadError that names the missing package and the install command."""
    package, install = INSTALL_HINTS[backend]
    missing = getattr(exc, "name", None) or package
    return BackendLoadError(
        f"the {backend} backend needs the Python package {package!r}, which this interpreter cannot import "
        f"(missing module {missing!r}); install it with: {install}; or run the GPU image (docker/transcriber-gpu.Dockerfile)"
    )


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
