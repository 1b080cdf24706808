"""The whisperX backend's own control flow, with the libraries replaced by small fakes.

What is checked is ours: whisperX's VAD is never built, one encoder pass feeds detection and the
decode, each item gets its own prompt language, detection runs only when an item asks for it, and a
language without an alignment model keeps its text with aligned=False.
"""
from __future__ import annotations

import sys
import types
import unittest
from types import SimpleNamespace
from unittest import mock

import numpy as np


class FakeFeatures:
    def __init__(self, n):
        self.n = n

    def cpu(self):
        return self

    def numpy(self):
        return np.zeros((self.n, 80, 3000), np.float32)


class FakeCt2Whisper:
    is_multilingual = True

    def __init__(self):
        self.calls = []

    def encode(self, features, to_cpu=False):
        self.calls.append(("encode", len(features)))
        return ("encoded", len(features))

    def detect_language(self, encoded):
        self.calls.append(("detect", encoded[1]))
        return [[("<|de|>", 0.9), ("<|en|>", 0.1)] for _ in range(encoded[1])]

    def generate(self, encoded, prompts, **kwargs):
        self.calls.append(("generate", [p[0] for p in prompts]))
        # The fake prompt's first entry is its language; the fake text says it back.
        return [SimpleNamespace(sequences_ids=[[f"hello in {p[0]}"]]) for p in prompts]


class FakeTokenizer:
    eot = "\uffff"  # sorts after every fake token, as the real eot id follows the text ids

    def __init__(self, hf_tokenizer, multilingual, task, language):
        self.language = language

    def decode(self, tokens):
        return " ".join(tokens)


def fake_libraries(load_model_calls):
    ct2_model = FakeCt2Whisper()

    class FakeWhisperModel:
        feat_kwargs = {"feature_size": 80}
        hf_tokenizer = object()
        max_length = 448
        model = ct2_model

        def get_prompt(self, tokenizer, previous_tokens, without_timestamps=False, prefix=None, hotwords=None):
            return [tokenizer.language, "<|notimestamps|>"]

    def load_model(whisper_arch, device, device_index=0, compute_type="float16", asr_options=None, language=None, vad_model=None, vad_method="pyannote", vad_options=None, model=None, task="transcribe", download_root=None, local_files_only=False, threads=4):
        load_model_calls.append(dict(locals()))
        options = SimpleNamespace(without_timestamps=True, prefix=None, hotwords=None, beam_size=5, patience=1, length_penalty=1, suppress_blank=True, suppress_tokens=[-1], no_repeat_ngram_size=0, repetition_penalty=1)
        return SimpleNamespace(model=FakeWhisperModel(), options=options)

    def load_align_model(language_code, device, model_name=None, model_dir=None, model_cache_only=False):
        raise ValueError(f"No default align-model for language: {language_code}")

    whisperx = types.ModuleType("whisperx")
    whisperx.load_model = load_model
    whisperx.load_align_model = load_align_model
    audio = types.ModuleType("whisperx.audio")
    audio.mel_filters = lambda device, n_mels: None
    torch = types.ModuleType("torch")
    torch.cuda = SimpleNamespace(is_available=lambda: False)
    ctranslate2 = types.ModuleType("ctranslate2")
    ctranslate2.StorageView = SimpleNamespace(from_array=lambda a: a)
    fw = types.ModuleType("faster_whisper")
    fw_tok = types.ModuleType("faster_whisper.tokenizer")
    fw_tok.Tokenizer = FakeTokenizer
    torchaudio = types.ModuleType("torchaudio")
    taf = types.ModuleType("torchaudio.functional")
    taf.forced_align = taf.merge_tokens = None
    modules = {
        "whisperx": whisperx, "whisperx.audio": audio, "torch": torch, "ctranslate2": ctranslate2,
        "faster_whisper": fw, "faster_whisper.tokenizer": fw_tok, "torchaudio": torchaudio, "torchaudio.functional": taf,
    }
    return modules, ct2_model


class WhisperXFlow(unittest.TestCase):
    def setUp(self):
        self.load_calls = []
        modules, self.ct2 = fake_libraries(self.load_calls)
        patcher = mock.patch.dict(sys.modules, modules)
        patcher.start()
        self.addCleanup(patcher.stop)
        sys.modules.pop("callscribe_worker.backends.whisperx_backend", None)
        from callscribe_worker.backends import whisperx_backend

        self.addCleanup(lambda: sys.modules.pop("callscribe_worker.backends.whisperx_backend", None))
        mel = mock.patch.object(whisperx_backend, "batched_log_mel", lambda torch, chunks, filters, device: FakeFeatures(len(chunks)))
        mel.start()
        self.addCleanup(mel.stop)
        self.backend = whisperx_backend.WhisperXBackend()

    def test_whisperx_vad_is_not_built(self):
        (call,) = self.load_calls
        self.assertIsNotNone(call["vad_model"])
        self.assertEqual(call["vad_method"], "pyannote")  # the default, ignored because vad_model is set
        self.assertIsNone(call["language"])

    def test_languages_per_item_with_one_encoder_pass(self):
        chunks = [np.zeros(16000, np.float32)] * 3
        results = self.backend.transcribe_batch(chunks, ["en", "", "pt"], word_timestamps=True)
        self.assertEqual([r.language for r in results], ["en", "de", "pt"])
        self.assertEqual([r.segments[0].text for r in results], ["hello in en", "hello in de", "hello in pt"])
        self.assertEqual(self.ct2.calls, [("encode", 3), ("detect", 3), ("generate", ["en", "de", "pt"])])
        # No alignment model for these languages here: text kept, flagged unaligned.
        self.assertEqual([r.aligned for r in results], [False, False, False])

    def test_no_detection_when_every_item_has_a_language(self):
        self.backend.transcribe_batch([np.zeros(8000, np.float32)] * 2, ["en", "fr"], word_timestamps=False)
        self.assertNotIn("detect", [c[0] for c in self.ct2.calls])

    def test_engine_info(self):
        self.assertEqual(self.backend.info.languages, ["*"])
        self.assertEqual(self.backend.info.device, "cpu")


if __name__ == "__main__":
    unittest.main()
