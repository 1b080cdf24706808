"""GPU engine: Hugging Face transformers Whisper, fp16 with SDPA attention, batched.

With HF_WHISPER_MODEL pointing at local weights it transcribes. With HF_WHISPER_RANDOM=<size>
(tiny, base, small, medium, large-v3) it builds a randomly initialised model of that real size:
the text is meaningless, but every FLOP is real, so GPU batching can be measured on machines that
cannot fetch weights.
"""
from __future__ import annotations

import os
from typing import List, Sequence

import numpy as np

from . import BackendLoadError, EngineInfo, Segment

# (d_model, encoder/decoder layers, attention heads, mel bins) of the published checkpoints.
_SIZES = {
    "tiny": (384, 4, 6, 80),
    "base": (512, 6, 8, 80),
    "small": (768, 12, 12, 80),
    "medium": (1024, 24, 16, 80),
    "large-v3": (1280, 32, 20, 128),
}


class HfWhisperBackend:
    def __init__(self) -> None:
        try:
            import torch
            from transformers import WhisperConfig, WhisperFeatureExtractor, WhisperForConditionalGeneration
        except ImportError as exc:
            raise BackendLoadError(f"the hf backend needs torch and transformers ({exc})") from exc
        self._torch = torch
        device = os.environ.get("HF_WHISPER_DEVICE", "cuda" if torch.cuda.is_available() else "cpu")
        dtype = torch.float16 if device.startswith("cuda") else torch.float32
        self._max_new_tokens = int(os.environ.get("HF_WHISPER_MAX_NEW_TOKENS", "96"))
        path = os.environ.get("HF_WHISPER_MODEL", "")
        random_size = os.environ.get("HF_WHISPER_RANDOM", "")
        self._tokenizer = None
        if path:
            from transformers import WhisperProcessor

            try:
                processor = WhisperProcessor.from_pretrained(path, local_files_only=True)
                model = WhisperForConditionalGeneration.from_pretrained(path, torch_dtype=dtype, attn_implementation="sdpa", local_files_only=True)
            except Exception as exc:
                raise BackendLoadError(f"cannot load Whisper weights from {path!r}: {exc}") from exc
            self._features = processor.feature_extractor
            self._tokenizer = processor.tokenizer
            name = os.path.basename(path.rstrip("/"))
        elif random_size in _SIZES:
            d_model, layers, heads, mels = _SIZES[random_size]
            config = WhisperConfig(
                d_model=d_model, encoder_layers=layers, decoder_layers=layers, encoder_attention_heads=heads,
                decoder_attention_heads=heads, encoder_ffn_dim=4 * d_model, decoder_ffn_dim=4 * d_model, num_mel_bins=mels,
            )
            config._attn_implementation = "sdpa"
            model = WhisperForConditionalGeneration(config).to(dtype)
            self._features = WhisperFeatureExtractor(feature_size=mels)
            name = f"random-{random_size}"
        else:
            raise BackendLoadError("the hf backend needs HF_WHISPER_MODEL (a local model folder) or HF_WHISPER_RANDOM (one of " + ", ".join(_SIZES) + ")")
        self._model = model.to(device).eval()
        self._device = device
        self._dtype = dtype
        self.info = EngineInfo("hf", name, device, str(dtype).replace("torch.", ""), ["*"])

    def transcribe_batch(self, chunks: Sequence[np.ndarray], language: str, word_timestamps: bool) -> List[List[Segment]]:
        torch = self._torch
        inputs = self._features([c.astype(np.float32) for c in chunks], sampling_rate=16000, return_tensors="pt")
        features = inputs.input_features.to(self._device, self._dtype)
        with torch.inference_mode():
            if self._tokenizer is None:
                # Random weights never emit end-of-text: a fixed decode length keeps the work comparable.
                tokens = self._model.generate(features, max_new_tokens=self._max_new_tokens, min_new_tokens=self._max_new_tokens, do_sample=False)
                texts = [f"<{t.shape[-1]} tokens>" for t in tokens]
            else:
                tokens = self._model.generate(features, language=language or "en", task="transcribe", max_new_tokens=self._max_new_tokens)
                texts = self._tokenizer.batch_decode(tokens, skip_special_tokens=True)
        return [[Segment(0.0, len(c) / 16000.0, t.strip())] if t.strip() else [] for c, t in zip(chunks, texts)]
