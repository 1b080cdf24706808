"""GPU engine: WhisperX (faster-whisper on CTranslate2), batched over chunks from many requests.

The transcriber has already cut speech into chunks of at most AUDIO_CHUNK_SEC, so this skips
WhisperX's own VAD and runs its batched decoder directly on the stacked log-mel features.
Settings: WHISPERX_MODEL, WHISPERX_COMPUTE_TYPE, WHISPERX_DEVICE, WHISPERX_ALIGN (wav2vec2 word times).
"""
from __future__ import annotations

import os
from typing import Any, Dict, List, Sequence

import numpy as np

from . import BackendLoadError, EngineInfo, Segment, Word


class WhisperXBackend:
    def __init__(self) -> None:
        try:
            import torch
            import whisperx
            from faster_whisper.tokenizer import Tokenizer
        except ImportError as exc:
            raise BackendLoadError(f"the whisperx backend needs the whisperx package ({exc}); use the GPU image (docker/transcriber-gpu.Dockerfile)") from exc
        self._torch = torch
        self._whisperx = whisperx
        self._tokenizer_cls = Tokenizer
        model = os.environ.get("WHISPERX_MODEL", "large-v2")
        self._device = os.environ.get("WHISPERX_DEVICE", "cuda" if torch.cuda.is_available() else "cpu")
        compute_type = os.environ.get("WHISPERX_COMPUTE_TYPE", "float16" if self._device == "cuda" else "int8")
        try:
            # Loaded once per worker; language stays open so one worker serves every language.
            self._pipeline = whisperx.load_model(model, self._device, compute_type=compute_type, vad_method="silero")
        except Exception as exc:  # weights missing or no network to fetch them
            raise BackendLoadError(f"cannot load WhisperX model {model!r} on {self._device}: {exc}") from exc
        self._tokenizers: Dict[str, Any] = {}
        self._align_models: Dict[str, Any] = {}
        self._align = os.environ.get("WHISPERX_ALIGN", "1") != "0"
        self.info = EngineInfo("whisperx", model, self._device, compute_type, ["*"])

    def _tokenizer(self, language: str) -> Any:
        if language not in self._tokenizers:
            model = self._pipeline.model
            self._tokenizers[language] = self._tokenizer_cls(model.hf_tokenizer, model.model.is_multilingual, task="transcribe", language=language)
        return self._tokenizers[language]

    def transcribe_batch(self, chunks: Sequence[np.ndarray], language: str, word_timestamps: bool) -> List[List[Segment]]:
        language = language or "en"
        feats = [self._pipeline.preprocess({"inputs": chunk.astype(np.float32)})["inputs"] for chunk in chunks]
        features = self._torch.stack([self._torch.as_tensor(f) for f in feats]).cpu().numpy()
        out = self._pipeline.model.generate_segment_batched(features, self._tokenizer(language), self._pipeline.options)
        results: List[List[Segment]] = []
        for chunk, text in zip(chunks, out["text"]):
            duration = len(chunk) / 16000.0
            segment = {"start": 0.0, "end": duration, "text": text.strip()}
            if word_timestamps and self._align and segment["text"]:
                results.append(self._aligned(segment, chunk, language))
            else:
                results.append([Segment(0.0, duration, segment["text"])] if segment["text"] else [])
        return results

    def _aligned(self, segment: Dict[str, Any], chunk: np.ndarray, language: str) -> List[Segment]:
        if language not in self._align_models:
            self._align_models[language] = self._whisperx.load_align_model(language_code=language, device=self._device)
        model, metadata = self._align_models[language]
        aligned = self._whisperx.align([segment], model, metadata, chunk, self._device, return_char_alignments=False)
        segments: List[Segment] = []
        for s in aligned["segments"]:
            words = [Word(w["word"], float(w.get("start", s["start"])), float(w.get("end", s["end"])), float(w.get("score", 0.0))) for w in s.get("words", [])]
            segments.append(Segment(float(s["start"]), float(s["end"]), s["text"].strip(), words))
        return segments
