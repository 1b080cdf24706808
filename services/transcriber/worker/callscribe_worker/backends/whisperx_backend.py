"""GPU engine: WhisperX (faster-whisper on CTranslate2), batched over chunks from many requests.

The transcriber has already cut speech into chunks of at most AUDIO_CHUNK_SEC, so whisperX's own VAD
is never loaded, and one batch goes through: log-mel of the stacked chunks on the GPU (mel.py) ->
one encoder pass -> language detection on that encoder output for the items that asked for it ->
one batched decode with a prompt per item (so a batch may mix languages) -> batched wav2vec2 and
CTC forced alignment on the GPU for word times (alignment.py).

Written against whisperX 3.8.4 (whisperx/asr.py: `WhisperModel.generate_segment_batched`,
`load_model`, called in whisperx.asr itself: whisperx/__init__.py's `load_model(*args, **kwargs)` is
a lazy wrapper) and faster-whisper 1.2.1 (`WhisperModel.get_prompt`, `Tokenizer`); see
docs/upstream-checks.md. Any failure while building the model is a BackendLoadError (a `fatal` frame).
Settings: WHISPERX_MODEL, WHISPERX_COMPUTE_TYPE, WHISPERX_DEVICE, WHISPERX_ALIGN (0 disables word
times), WHISPERX_BEAM_SIZE, WHISPERX_DOWNLOAD_ROOT, WHISPERX_LOCAL_FILES_ONLY, WHISPERX_ALIGN_MODEL_DIR.
"""
from __future__ import annotations

import os
import sys
import traceback
from typing import Any, Dict, List, Optional, Sequence

import numpy as np

from . import BackendLoadError, Decoding, EngineInfo, ItemResult, Segment, missing_library, run_grouped
from ..device_errors import raise_if_device_error
from ..loader_args import whisperx_load_model_kwargs
from .alignment import BatchAligner, aligned_segments
from .mel import batched_log_mel


class _NoVad:
    """Stands in for whisperX's VAD model: `load_model` builds Silero or pyannote unless one is given.
    This worker never calls `FasterWhisperPipeline.transcribe`, the only user of it."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("callscribe brings its own VAD; whisperX's is not loaded")


class WhisperXBackend:
    def __init__(self) -> None:
        try:
            import ctranslate2
            import torch
            import whisperx
            import whisperx.asr
            from faster_whisper.tokenizer import Tokenizer
            from whisperx.audio import mel_filters
        except ImportError as exc:
            raise missing_library("whisperx", exc) from exc
        self._torch = torch
        self._ct2 = ctranslate2
        self._tokenizer_cls = Tokenizer
        model = os.environ.get("WHISPERX_MODEL", "large-v2")
        self._device = os.environ.get("WHISPERX_DEVICE", "cuda" if torch.cuda.is_available() else "cpu")
        compute_type = os.environ.get("WHISPERX_COMPUTE_TYPE", "float16" if self._device.startswith("cuda") else "int8")
        asr_options: Dict[str, Any] = {}
        if os.environ.get("WHISPERX_BEAM_SIZE"):
            asr_options["beam_size"] = int(os.environ["WHISPERX_BEAM_SIZE"])
        try:
            load_model = whisperx.asr.load_model
            kwargs = whisperx_load_model_kwargs(
                load_model, model, "cuda" if self._device.startswith("cuda") else self._device, compute_type, _NoVad(),
                asr_options=asr_options,
                download_root=os.environ.get("WHISPERX_DOWNLOAD_ROOT", ""),
                local_files_only=os.environ.get("WHISPERX_LOCAL_FILES_ONLY", os.environ.get("HF_HUB_OFFLINE", "0")) not in ("", "0"),
            )
            # Loaded once per worker; language stays open so one worker serves every language.
            self._pipeline = load_model(**kwargs)
            self._model = self._pipeline.model  # whisperx.asr.WhisperModel (a faster_whisper.WhisperModel)
            self._multilingual = bool(self._model.model.is_multilingual)
            n_mels = (getattr(self._model, "feat_kwargs", {}) or {}).get("feature_size") or 80
            self._filters = mel_filters(self._device, n_mels)
        except Exception as exc:  # weights missing, no network to fetch them, a whisperX of another shape
            raise BackendLoadError(f"cannot load WhisperX model {model!r} on {self._device}: {type(exc).__name__}: {exc}") from exc
        self._tokenizers: Dict[str, Any] = {}
        self._aligner = BatchAligner(torch, whisperx, self._device, os.environ.get("WHISPERX_ALIGN_MODEL_DIR", "")) if os.environ.get("WHISPERX_ALIGN", "1") != "0" else None
        if self._aligner is not None:
            # English at start, as the compose files promise; a failure here is retried on use (alignment.py).
            self._aligner.preload("en")
        self.info = EngineInfo("whisperx", model, self._device, compute_type, ["*"] if self._multilingual else ["en"], options=["prompt", "temperature"])

    def _tokenizer(self, language: str) -> Any:
        if language not in self._tokenizers:
            self._tokenizers[language] = self._tokenizer_cls(self._model.hf_tokenizer, self._multilingual, task="transcribe", language=language)
        return self._tokenizers[language]

    def _encode(self, chunks: Sequence[np.ndarray]) -> Any:
        features = batched_log_mel(self._torch, chunks, self._filters, self._device)
        if self._device.startswith("cuda"):
            # CTranslate2 reads the tensor on its own CUDA stream: torch's kernels must have finished.
            self._torch.cuda.current_stream().synchronize()
        else:
            features = features.cpu().numpy()
        # StorageView reads a CUDA tensor in place through __cuda_array_interface__: no copy to the host.
        storage = self._ct2.StorageView.from_array(features)
        return self._model.model.encode(storage, to_cpu=False)

    def _languages(self, encoded: Any, requested: Sequence[str]) -> List[str]:
        if not self._multilingual:
            return ["en"] * len(requested)
        if all(requested):
            return list(requested)
        # One detection pass over the batch's encoder output (CTranslate2 accepts encoded features).
        detected = self._model.model.detect_language(encoded)
        return [lang or detected[i][0][0][2:-2] for i, lang in enumerate(requested)]

    def transcribe_batch(
        self, chunks: Sequence[np.ndarray], languages: Sequence[str], word_timestamps: bool, decoding: Optional[Sequence[Decoding]] = None
    ) -> List[ItemResult]:
        # CTranslate2 samples at one temperature per call; prompts differ per item within a call.
        return run_grouped(
            chunks, languages, decoding, lambda d: d.temperature, lambda c, langs, d: self._transcribe_same_temperature(c, langs, word_timestamps, d, d[0].temperature)
        )

    def _sampling(self, temperature: float) -> Dict[str, Any]:
        """Beam search at 0, as whisperX; above 0, sampling over the whole distribution as faster-whisper's
        generate_with_fallback (v1.2.1) does, but one hypothesis rather than its best_of: with no
        log-prob fallback to choose among them here, more would cost decode time and change nothing."""
        options = self._pipeline.options
        if temperature > 0:
            return {"beam_size": 1, "num_hypotheses": 1, "sampling_topk": 0, "sampling_temperature": temperature}
        return {"beam_size": options.beam_size, "patience": options.patience}

    def _transcribe_same_temperature(
        self, chunks: Sequence[np.ndarray], languages: Sequence[str], word_timestamps: bool, decodings: Sequence[Decoding], temperature: float
    ) -> List[ItemResult]:
        encoded = self._encode(chunks)
        langs = self._languages(encoded, languages)
        options = self._pipeline.options
        # As whisperx.asr.WhisperModel.generate_segment_batched, but with one prompt per item: its
        # `[prompt] * batch_size` would force one language (and one initial prompt) on a batch that
        # mixes callers. The caller's prompt goes in as faster-whisper's sequential decode puts an
        # initial_prompt: " " + text, as previous tokens (get_prompt keeps the last 223).
        prompts = [
            self._model.get_prompt(
                self._tokenizer(lang),
                self._tokenizer(lang).encode(" " + d.prompt) if d.prompt else [],
                without_timestamps=options.without_timestamps,
                prefix=options.prefix,
                hotwords=options.hotwords,
            )
            for lang, d in zip(langs, decodings)
        ]
        result = self._model.model.generate(
            encoded,
            prompts,
            **self._sampling(temperature),
            length_penalty=options.length_penalty,
            max_length=self._model.max_length,
            suppress_blank=options.suppress_blank,
            suppress_tokens=options.suppress_tokens,
            no_repeat_ngram_size=options.no_repeat_ngram_size,
            repetition_penalty=options.repetition_penalty,
        )
        texts = []
        for lang, r in zip(langs, result):
            tokenizer = self._tokenizer(lang)
            texts.append(tokenizer.decode([t for t in r.sequences_ids[0] if t < tokenizer.eot]).strip())
        words: List[Any] = [None] * len(chunks)
        if word_timestamps and self._aligner is not None:
            for lang in sorted(set(langs)):
                idx = [i for i, l in enumerate(langs) if l == lang and texts[i]]
                if not idx:
                    continue
                try:
                    for i, w in zip(idx, self._aligner.align([chunks[i] for i in idx], [texts[i] for i in idx], lang)):
                        words[i] = w
                except Exception as exc:  # the text is decoded: losing the words must not lose it (or decode it again)
                    raise_if_device_error(exc)
                    print(f"alignment failed for {len(idx)} chunks ({lang}); they stay unaligned", file=sys.stderr)
                    traceback.print_exc(file=sys.stderr)
        out: List[ItemResult] = []
        for i, chunk in enumerate(chunks):
            duration = len(chunk) / 16000.0
            if not texts[i]:
                out.append(ItemResult([], langs[i], False))
            elif words[i]:
                out.append(ItemResult(aligned_segments(words[i], texts[i], duration), langs[i], True))
            else:
                out.append(ItemResult([Segment(0.0, duration, texts[i])], langs[i], False))
        return out
