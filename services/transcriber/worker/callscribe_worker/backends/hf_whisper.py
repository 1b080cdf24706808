"""GPU engine: Hugging Face transformers Whisper, fp16 with SDPA attention, batched.

With HF_WHISPER_MODEL pointing at local weights it transcribes. With HF_WHISPER_RANDOM=<size>
(tiny, base, small, medium, large-v3) it builds a randomly initialised model of that real size:
the text is meaningless, but every FLOP is real, so GPU batching can be measured on machines that
cannot fetch weights. Only that measurement mode pins the decode length (HF_WHISPER_MAX_NEW_TOKENS,
default 96, min = max); real weights may use the whole decoder (448 positions less the prompt):
30 s of packed call speech is 120-170 tokens.

Written against transformers 4.57 (what the GPU image resolves: whisperx 3.8.4 pins
huggingface-hub<1.0) and 5.x (models/whisper/generation_whisper.py: `language` takes a list for a
batch, English-only models refuse language/task, `return_token_timestamps`); `dtype=` is chosen
over the old `torch_dtype=` by what `from_pretrained` reads (loader_args.hf_dtype_kwarg).

Every chunk is padded to Whisper's 30 s window. The feature extractor's `attention_mask` (one entry
per mel frame, `return_attention_mask=True`) goes to `generate`, which takes each item's frame count
from it (4.57 `_set_num_frames`: `attention_mask.sum(-1)`): without it the token timestamps' DTW runs
over the padding too, and a short chunk's word times stretch toward 30 s.
"""
from __future__ import annotations

import inspect
import os
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from . import PLAIN, BackendLoadError, Decoding, EngineInfo, ItemResult, Segment, Word, missing_library, run_grouped
from ..loader_args import hf_dtype_kwarg, hf_generate_kwargs, hf_max_new_tokens, is_english_only

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
            raise missing_library("hf", exc) from exc
        self._torch = torch
        device = os.environ.get("HF_WHISPER_DEVICE", "cuda" if torch.cuda.is_available() else "cpu")
        dtype = torch.float16 if device.startswith("cuda") else torch.float32
        path = os.environ.get("HF_WHISPER_MODEL", "")
        random_size = os.environ.get("HF_WHISPER_RANDOM", "")
        self._tokenizer = None
        if path:
            from transformers import WhisperProcessor

            try:
                processor = WhisperProcessor.from_pretrained(path, local_files_only=True)
                model = WhisperForConditionalGeneration.from_pretrained(
                    path, attn_implementation="sdpa", local_files_only=True, **hf_dtype_kwarg(WhisperForConditionalGeneration.from_pretrained, dtype)
                )
            except Exception as exc:
                raise BackendLoadError(f"cannot load Whisper weights from {path!r}: {type(exc).__name__}: {exc}") from exc
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
        self._features_on_device = device.startswith("cuda") and "device" in inspect.signature(self._features.__call__).parameters
        self._device = device
        self._dtype = dtype
        self._measurement = self._tokenizer is None
        generation_config = getattr(model, "generation_config", None)
        self._english_only = is_english_only(name, generation_config)
        fixed = int(os.environ.get("HF_WHISPER_MAX_NEW_TOKENS", "96")) if self._measurement else int(os.environ.get("HF_WHISPER_MAX_NEW_TOKENS", "0"))
        self._max_target_positions = int(model.config.max_target_positions)
        self._max_new_tokens = hf_max_new_tokens(model.config.max_target_positions, self._english_only, fixed)
        # Token timestamps come from cross-attention heads named in the generation config; a model
        # without them cannot give word times, and says so through aligned=False.
        self._word_times = not self._measurement and bool(getattr(generation_config, "alignment_heads", None))
        lang_to_id: Dict[str, int] = dict(getattr(generation_config, "lang_to_id", None) or {})
        self._id_to_lang = {v: k[2:-2] for k, v in lang_to_id.items()}
        languages = ["en"] if self._english_only else ["*"]
        # Random weights have no tokenizer to encode a prompt with, and sampling them measures nothing.
        options = [] if self._measurement else ["prompt", "temperature"]
        self.info = EngineInfo("hf", name, device, str(dtype).replace("torch.", ""), languages, options=options)

    def transcribe_batch(
        self, chunks: Sequence[np.ndarray], languages: Sequence[str], word_timestamps: bool, decoding: Optional[Sequence[Decoding]] = None
    ) -> List[ItemResult]:
        # generate() takes one prompt_ids and one temperature per call: one call per distinct pair.
        return run_grouped(
            chunks, languages, decoding, lambda d: (d.temperature, d.prompt), lambda c, langs, d: self._transcribe_alike(c, langs, word_timestamps, d[0])
        )

    def _transcribe_alike(self, chunks: Sequence[np.ndarray], languages: Sequence[str], word_timestamps: bool, decoding: Decoding) -> List[ItemResult]:
        features, mask = self._inputs(chunks)
        if self._measurement:
            return self._measure(chunks, features, languages)
        langs = ["en"] * len(chunks) if self._english_only else list(languages)
        unknown = [i for i, l in enumerate(langs) if not l]
        if unknown:
            # generate() takes a language per item or None for all (a list holding None is a
            # TypeError), so the items that asked for detection get it first, on their features only.
            with self._torch.inference_mode():
                ids = self._model.detect_language(input_features=features[unknown]).tolist()
            for i, t in zip(unknown, ids):
                langs[i] = self._id_to_lang.get(int(t), "")
            if not all(langs):
                raise RuntimeError("language detection returned a token that is not a language")
        return self._generate(chunks, features, mask, langs, word_timestamps, decoding)

    def _inputs(self, chunks: Sequence[np.ndarray]) -> Tuple[Any, Any]:
        """(features, attention mask over their mel frames), both on the device."""
        kwargs: Dict[str, Any] = {}
        if self._features_on_device:
            # WhisperFeatureExtractor runs its STFT in torch on `device` (the stacked batch at once).
            kwargs["device"] = self._device
        inputs = self._features([c.astype(np.float32) for c in chunks], sampling_rate=16000, return_tensors="pt", return_attention_mask=True, **kwargs)
        return inputs.input_features.to(self._device, self._dtype), inputs.attention_mask.to(self._device)

    def _measure(self, chunks: Sequence[np.ndarray], features: Any, languages: Sequence[str]) -> List[ItemResult]:
        kwargs = hf_generate_kwargs(None, True, self._max_new_tokens, measurement=True)
        with self._torch.inference_mode():
            tokens = self._model.generate(features, **kwargs)
        return [ItemResult([Segment(0.0, len(c) / 16000.0, f"<{t.shape[-1]} tokens>")], l or "en", False) for c, t, l in zip(chunks, tokens, languages)]

    def _generate(
        self, chunks: Sequence[np.ndarray], features: Any, mask: Any, languages: List[str], word_timestamps: bool, decoding: Decoding = PLAIN
    ) -> List[ItemResult]:
        timed = word_timestamps and self._word_times
        kwargs = hf_generate_kwargs(None if self._english_only else languages, self._english_only, self._max_new_tokens, word_timestamps=timed)
        if decoding.prompt:
            # WhisperTokenizer.get_prompt_ids: <|startofprev|> and " " + the text, as Whisper's initial prompt;
            # Whisper keeps the last max_target_positions // 2 - 1 of it, as faster-whisper's get_prompt does.
            ids = [int(t) for t in self._tokenizer.get_prompt_ids(decoding.prompt)]
            ids = ids[:1] + ids[1:][-(self._max_target_positions // 2 - 1) :]
            kwargs["prompt_ids"] = self._torch.tensor(ids, device=self._device)
            # generate() refuses a prompt plus start tokens plus max_new_tokens beyond max_target_positions
            # (4.57 generation_whisper.py `_set_max_new_tokens_and_length`): the answer gets what is left,
            # or the configured budget when that is smaller (HF_WHISPER_MAX_NEW_TOKENS).
            start_tokens = 2 if self._english_only else 4
            kwargs["max_new_tokens"] = min(self._max_new_tokens, self._max_target_positions - start_tokens - len(ids))
        if decoding.temperature > 0:
            kwargs.update(do_sample=True, temperature=decoding.temperature)
        with self._torch.inference_mode():
            generated = self._model.generate(features, attention_mask=mask, **kwargs)
        sequences = generated["sequences"] if timed else generated
        stamps = generated.get("token_timestamps") if timed else None
        results = []
        start = self._tokenizer.convert_tokens_to_ids("<|startoftranscript|>") if decoding.prompt else None
        for k, chunk in enumerate(chunks):
            ids = [int(t) for t in sequences[k].tolist()]
            # Whether generate() hands the prompt back in front of the transcript has changed between
            # releases; the transcript is what follows the last start-of-transcript token either way.
            cut = max((j for j, t in enumerate(ids) if t == start), default=-1) + 1 if start is not None else 0
            ids = ids[cut:]
            text = self._tokenizer.decode(ids, skip_special_tokens=True).strip()
            duration = len(chunk) / 16000.0
            if not text:
                results.append(ItemResult([], languages[k], False))
                continue
            words = self._words(ids, stamps[k].tolist()[cut:], duration) if stamps is not None else []
            if words:
                results.append(ItemResult([Segment(words[0].start, words[-1].end, text, words)], languages[k], True))
            else:
                results.append(ItemResult([Segment(0.0, duration, text)], languages[k], False))
        return results

    def _words(self, ids: List[int], times: List[float], duration: float) -> List[Word]:
        """Words from token start times: a token that begins with a space begins a word."""
        special = set(self._tokenizer.all_special_ids)
        words: List[Word] = []
        text, start, last = "", None, 0.0
        for k, t in enumerate(ids):
            if t in special or k >= len(times):
                continue
            piece = self._tokenizer.decode([t])
            at = min(float(times[k]), duration)
            if piece.startswith(" ") and text.strip():
                words.append(Word(text.strip(), round(start or 0.0, 3), round(at, 3)))
                text, start = "", None
            if start is None:
                start = at
            text += piece
            last = at
        if text.strip():
            end = min(duration, max(last, float(times[len(ids) - 1]) if len(times) >= len(ids) else last))
            words.append(Word(text.strip(), round(start or 0.0, 3), round(max(end, start or 0.0), 3)))
        return words
