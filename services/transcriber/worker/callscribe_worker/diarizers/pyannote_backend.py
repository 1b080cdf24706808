"""GPU diarizer: pyannote's speaker-diarization pipeline, loaded once per worker.

Fed the in-memory waveform (never a file path, so nothing is decoded twice), one pipeline call per
recording. Works with pyannote.audio 3.x and 4.x: the token keyword (`use_auth_token` -> `token`)
and the default pipeline are chosen from `Pipeline.from_pretrained`'s signature (loader_args.py),
and on 4.x the overlap-free `exclusive_speaker_diarization` is what words are assigned against.
Settings: PYANNOTE_PIPELINE (default: speaker-diarization-community-1 on 4.x, 3.1 on 3.x),
HF_TOKEN, PYANNOTE_DEVICE, PYANNOTE_EMBEDDING_BATCH_SIZE, PYANNOTE_SEGMENTATION_BATCH_SIZE.
"""
from __future__ import annotations

import os
from typing import List, Sequence, Tuple

import numpy as np

from ..backends import BackendLoadError, missing_library
from ..loader_args import pyannote_annotation, pyannote_default_pipeline, pyannote_from_pretrained_kwargs, pyannote_terms_hint
from . import Turn


class PyannoteDiarizer:
    name = "pyannote"

    def __init__(self) -> None:
        try:
            import torch
            from pyannote.audio import Pipeline
        except ImportError as exc:
            raise missing_library("pyannote", exc) from exc
        token = os.environ.get("HF_TOKEN", "")
        checkpoint = os.environ.get("PYANNOTE_PIPELINE", "") or pyannote_default_pipeline(Pipeline.from_pretrained)
        if not token and not os.path.exists(checkpoint):
            raise BackendLoadError(f"the pyannote diarizer needs HF_TOKEN to fetch {checkpoint!r}; {pyannote_terms_hint(checkpoint)}")
        try:
            pipeline = Pipeline.from_pretrained(**pyannote_from_pretrained_kwargs(Pipeline.from_pretrained, checkpoint, token))
        except Exception as exc:  # no network, no weights, bad token, terms not accepted
            raise BackendLoadError(f"cannot load pyannote pipeline {checkpoint!r} ({type(exc).__name__}: {exc}); {pyannote_terms_hint(checkpoint)}") from exc
        if pipeline is None:  # 3.x and 4.x return None when the hub refuses the download
            raise BackendLoadError(f"pyannote pipeline {checkpoint!r} could not be downloaded; {pyannote_terms_hint(checkpoint)}")
        self.device = os.environ.get("PYANNOTE_DEVICE", "cuda" if torch.cuda.is_available() else "cpu")
        pipeline.to(torch.device(self.device))
        # Larger batches keep the GPU busy; the small defaults leave most of an H100 idle.
        for attr, env in (("embedding_batch_size", "PYANNOTE_EMBEDDING_BATCH_SIZE"), ("segmentation_batch_size", "PYANNOTE_SEGMENTATION_BATCH_SIZE")):
            if os.environ.get(env) and hasattr(pipeline, attr):
                setattr(pipeline, attr, int(os.environ[env]))
        self.model = checkpoint
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
        output = self._pipeline({"waveform": waveform, "sample_rate": 16000}, **kwargs)
        annotation = pyannote_annotation(output)
        return [Turn(float(seg.start), float(seg.end), str(label)) for seg, _, label in annotation.itertracks(yield_label=True)]
