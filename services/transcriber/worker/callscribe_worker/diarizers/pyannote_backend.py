"""GPU diarizer: pyannote's speaker-diarization pipeline, loaded once per worker.

Fed the in-memory waveform (never a file path, so nothing is decoded twice), one pipeline call per
recording. Settings: PYANNOTE_PIPELINE (default pyannote/speaker-diarization-3.1), HF_TOKEN,
PYANNOTE_DEVICE, PYANNOTE_EMBEDDING_BATCH_SIZE, PYANNOTE_SEGMENTATION_BATCH_SIZE.
"""
from __future__ import annotations

import os
from typing import List, Sequence, Tuple

import numpy as np

from ..backends import BackendLoadError
from . import Turn


class PyannoteDiarizer:
    name = "pyannote"

    def __init__(self) -> None:
        try:
            import torch
            from pyannote.audio import Pipeline
        except ImportError as exc:
            raise BackendLoadError(f"the pyannote diarizer needs pyannote.audio and torch ({exc}); use the GPU image") from exc
        token = os.environ.get("HF_TOKEN", "")
        if not token:
            raise BackendLoadError("the pyannote diarizer needs HF_TOKEN (a Hugging Face token that accepted the model's terms)")
        name = os.environ.get("PYANNOTE_PIPELINE", "pyannote/speaker-diarization-3.1")
        try:
            pipeline = Pipeline.from_pretrained(name, use_auth_token=token)
        except Exception as exc:  # no network, no weights, bad token
            raise BackendLoadError(f"cannot load pyannote pipeline {name!r}: {exc}") from exc
        if pipeline is None:
            raise BackendLoadError(f"pyannote pipeline {name!r} could not be loaded (terms not accepted for this token?)")
        device = os.environ.get("PYANNOTE_DEVICE", "cuda" if torch.cuda.is_available() else "cpu")
        pipeline.to(torch.device(device))
        # Larger batches keep the GPU busy; the defaults (32) leave most of an H100 idle.
        for attr, env in (("embedding_batch_size", "PYANNOTE_EMBEDDING_BATCH_SIZE"), ("segmentation_batch_size", "PYANNOTE_SEGMENTATION_BATCH_SIZE")):
            if os.environ.get(env) and hasattr(pipeline, attr):
                setattr(pipeline, attr, int(os.environ[env]))
        self._torch = torch
        self._pipeline = pipeline

    def diarize(self, audio: np.ndarray, regions: Sequence[Tuple[float, float]], min_speakers: int, max_speakers: int) -> List[Turn]:
        if not regions:
            return []
        waveform = self._torch.from_numpy(audio.astype(np.float32)).unsqueeze(0)
        kwargs = {}
        if min_speakers > 0:
            kwargs["min_speakers"] = min_speakers
        if max_speakers > 0:
            kwargs["max_speakers"] = max_speakers
        result = self._pipeline({"waveform": waveform, "sample_rate": 16000}, **kwargs)
        annotation = getattr(result, "speaker_diarization", result)
        return [Turn(float(seg.start), float(seg.end), str(label)) for seg, _, label in annotation.itertracks(yield_label=True)]
