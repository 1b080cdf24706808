"""The hf backend gives `generate` the attention mask of the padded features, so token timestamps
stop where each chunk's audio does.

Stand-ins with the shapes of transformers 4.57.6 (the 4.57.x the GPU image resolves):
- models/whisper/feature_extraction_whisper.py `WhisperFeatureExtractor.__call__`: pads to 30 s;
  with `return_attention_mask=True` the mask is rescaled from samples to mel frames (`[:, ::hop_length]`).
- models/whisper/generation_whisper.py `WhisperGenerationMixin.generate` (parameters in order);
  `_set_num_frames` takes the frame counts from `attention_mask.sum(-1)` when token timestamps are asked for.
- processing_utils.py `ProcessorMixin.from_pretrained`, modeling_utils.py `PreTrainedModel.from_pretrained`
  (`dtype` popped from **kwargs since 4.56).
"""
from __future__ import annotations

import os
import sys
import types
import unittest
from types import SimpleNamespace
from typing import Any, Optional, Union
from unittest import mock

import numpy as np

from callscribe_worker.backends import Decoding
from tests.gpu_fakes import Tensor, fake_torch

N_SAMPLES, HOP_LENGTH = 480000, 160
PIECES = {1: " hello", 2: " world", 3: "<|endoftext|>", 7: " ACME", 50259: "<|en|>", 50258: "<|startoftranscript|>", 50361: "<|startofprev|>"}


class WhisperFeatureExtractor:
    hop_length = HOP_LENGTH

    def __init__(self, feature_size=80, **kwargs):
        self.feature_size = feature_size

    def __call__(
        self,
        raw_speech,
        truncation: bool = True,
        pad_to_multiple_of: Optional[int] = None,
        return_tensors=None,
        return_attention_mask: Optional[bool] = None,
        padding: Optional[str] = "max_length",
        max_length: Optional[int] = None,
        sampling_rate: Optional[int] = None,
        do_normalize: Optional[bool] = None,
        device: Optional[str] = "cpu",
        return_token_timestamps: Optional[bool] = None,
        **kwargs,
    ):
        samples = np.zeros((len(raw_speech), N_SAMPLES), np.int32)
        for k, speech in enumerate(raw_speech):
            samples[k, : min(len(speech), N_SAMPLES)] = 1
        out = {"input_features": np.zeros((len(raw_speech), self.feature_size, N_SAMPLES // HOP_LENGTH), np.float32).view(Tensor)}
        if return_attention_mask:
            out["attention_mask"] = samples[:, :: self.hop_length].view(Tensor)
        return SimpleNamespace(**out)


class Tokenizer:
    all_special_ids = [3, 50259, 50258, 50361]

    def get_prompt_ids(self, text: str, return_tensors="np"):
        # tokenization_whisper.py 4.57: [<|startofprev|>] + encode(" " + text.strip()), as a numpy array.
        return np.array([50361] + [7 for _ in text.strip().split()], np.int64)

    def convert_tokens_to_ids(self, tokens):
        return {v: k for k, v in PIECES.items()}[tokens]

    def decode(self, ids, skip_special_tokens=False):
        return "".join(PIECES[i] for i in ids if not (skip_special_tokens and i in self.all_special_ids))


class WhisperForConditionalGeneration:
    def __init__(self):
        self.generation_config = SimpleNamespace(alignment_heads=[[2, 0]], lang_to_id={"<|en|>": 50259}, is_multilingual=True)
        self.config = SimpleNamespace(max_target_positions=448)
        self.calls = []

    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path, *model_args, config=None, cache_dir=None, ignore_mismatched_sizes=False, force_download=False, local_files_only=False, token=None, revision="main", use_safetensors=None, weights_only=True, **kwargs):
        kwargs.pop("dtype", None)
        return MODEL

    def to(self, *args, **kwargs):
        return self

    def eval(self):
        return self

    def generate(
        self,
        input_features: Optional[Any] = None,
        generation_config=None,
        logits_processor=None,
        stopping_criteria=None,
        prefix_allowed_tokens_fn=None,
        synced_gpus: bool = False,
        return_timestamps: Optional[bool] = None,
        task: Optional[str] = None,
        language: Optional[Union[str, list]] = None,
        is_multilingual: Optional[bool] = None,
        prompt_ids=None,
        prompt_condition_type: Optional[str] = None,
        condition_on_prev_tokens: Optional[bool] = None,
        temperature=None,
        compression_ratio_threshold: Optional[float] = None,
        logprob_threshold: Optional[float] = None,
        no_speech_threshold: Optional[float] = None,
        num_segment_frames: Optional[int] = None,
        attention_mask=None,
        time_precision: float = 0.02,
        time_precision_features: float = 0.01,
        return_token_timestamps: Optional[bool] = None,
        return_segments: bool = False,
        return_dict_in_generate: Optional[bool] = None,
        force_unique_generate_call: Optional[bool] = None,
        monitor_progress=None,
        **kwargs,
    ):
        self.calls.append(
            {"attention_mask": attention_mask, "return_token_timestamps": return_token_timestamps, "prompt_ids": prompt_ids, "temperature": temperature, **kwargs}
        )
        batch = input_features.shape[0]
        # 4.57 `_set_max_new_tokens_and_length`: the start tokens (4, multilingual) and the prompt count too.
        decoder_input_ids = 4 + (len(prompt_ids) if prompt_ids is not None else 0)
        if kwargs.get("max_new_tokens", 0) + decoder_input_ids > self.config.max_target_positions:
            raise ValueError("the combined length of `decoder_input_ids` and `max_new_tokens` exceeds `max_target_positions`")
        # A prompt comes back in front of the transcript, as some releases return it.
        head = [int(t) for t in prompt_ids] + [50258] if prompt_ids is not None else []
        sequences = np.tile(head + [50259, 1, 2, 3], (batch, 1)).view(Tensor)
        if not return_token_timestamps:
            return sequences
        # Where 4.57 lets the DTW run: the item's own frames when a mask is given, else all 3000.
        frames = attention_mask.sum(-1) if attention_mask is not None else np.full(batch, N_SAMPLES // HOP_LENGTH)
        seconds = frames * 0.01
        stamps = np.stack([[0.0] * len(head) + [0.0, 0.1 * s, 0.5 * s, s] for s in seconds]).view(Tensor)
        return {"sequences": sequences, "token_timestamps": stamps}


MODEL = WhisperForConditionalGeneration()


class WhisperProcessor:
    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path, cache_dir=None, force_download=False, local_files_only=False, token=None, revision="main", **kwargs):
        return SimpleNamespace(feature_extractor=WhisperFeatureExtractor(), tokenizer=Tokenizer())


class HfBackend(unittest.TestCase):
    def setUp(self):
        global MODEL
        MODEL = WhisperForConditionalGeneration()
        transformers = types.ModuleType("transformers")
        transformers.WhisperConfig = object
        transformers.WhisperFeatureExtractor = WhisperFeatureExtractor
        transformers.WhisperForConditionalGeneration = WhisperForConditionalGeneration
        transformers.WhisperProcessor = WhisperProcessor
        torch = fake_torch()
        torch.float16, torch.float32 = "torch.float16", "torch.float32"
        patches = [mock.patch.dict(sys.modules, {"torch": torch, "transformers": transformers}), mock.patch.dict(os.environ, {"HF_WHISPER_MODEL": "/models/whisper-small"})]
        for p in patches:
            p.start()
            self.addCleanup(p.stop)
        from callscribe_worker.backends.hf_whisper import HfWhisperBackend

        self.backend = HfWhisperBackend()

    def test_generate_gets_each_chunks_frames(self):
        results = self.backend.transcribe_batch([np.zeros(16000, np.float32), np.zeros(48000, np.float32)], ["en", "en"], True)
        (call,) = MODEL.calls
        self.assertIsNotNone(call["attention_mask"])
        self.assertEqual(np.asarray(call["attention_mask"]).sum(-1).tolist(), [100, 300])  # 1 s and 3 s of 10 ms frames
        self.assertEqual([r.aligned for r in results], [True, True])
        # The last word ends where the chunk's audio does, not at 30 s (then clamped to the chunk).
        self.assertEqual([r.segments[0].words[-1].end for r in results], [1.0, 3.0])
        self.assertEqual([w.start for w in results[0].segments[0].words], [0.1, 0.5])

    def test_one_generate_per_prompt_and_temperature_and_the_prompt_never_in_the_text(self):
        self.assertEqual(self.backend.info.options, ["prompt", "temperature"])
        chunks = [np.zeros(16000, np.float32)] * 3
        decodings = [Decoding("ACME support"), Decoding(), Decoding("ACME support")]
        results = self.backend.transcribe_batch(chunks, ["en"] * 3, True, decoding=decodings)
        self.assertEqual([r.segments[0].text for r in results], ["hello world"] * 3)
        self.assertEqual([w.text for w in results[0].segments[0].words], ["hello", "world"])
        plain, prompted = MODEL.calls
        self.assertIsNone(plain["prompt_ids"])
        self.assertEqual(np.asarray(prompted["prompt_ids"]).tolist(), [50361, 7, 7])
        self.assertEqual(np.asarray(prompted["attention_mask"]).shape[0], 2, "both prompted chunks in one call")

    def test_a_long_prompt_keeps_its_last_223_tokens_and_leaves_the_answer_the_rest(self):
        self.backend.transcribe_batch([np.zeros(16000, np.float32)], ["en"], False, decoding=[Decoding("ACME " * 400)])
        (call,) = MODEL.calls
        self.assertEqual(len(call["prompt_ids"]), 1 + 223)
        self.assertEqual(call["max_new_tokens"] + 4 + 224, 448)

    def test_a_prompt_never_takes_the_answer_below_a_configured_budget(self):
        from callscribe_worker.backends.hf_whisper import HfWhisperBackend

        with mock.patch.dict(os.environ, {"HF_WHISPER_MAX_NEW_TOKENS": "96"}):
            backend = HfWhisperBackend()
        backend.transcribe_batch([np.zeros(16000, np.float32)], ["en"], False, decoding=[Decoding("ACME " * 400)])
        self.assertEqual(MODEL.calls[-1]["max_new_tokens"], 96, "the prompt's room is taken from what is left, not from 96")

    def test_a_temperature_samples(self):
        self.backend.transcribe_batch([np.zeros(16000, np.float32)], ["en"], False, decoding=[Decoding(temperature=0.5)])
        (call,) = MODEL.calls
        self.assertEqual((call["do_sample"], call["temperature"]), (True, 0.5))

    def test_without_word_times_the_mask_goes_too(self):
        self.backend.transcribe_batch([np.zeros(16000, np.float32)], ["en"], False)
        self.assertIsNotNone(MODEL.calls[0]["attention_mask"])


if __name__ == "__main__":
    unittest.main()
