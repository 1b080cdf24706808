"""Argument building for the GPU libraries, against stand-ins that copy the upstream signatures.

The stand-ins' signatures are copied from the upstream sources named in docs/upstream-checks.md; the
libraries themselves cannot be installed on a CPU CI machine.
"""
from __future__ import annotations

import unittest
from pathlib import Path
from typing import Text, Union

from callscribe_worker.loader_args import (
    PYANNOTE_PIPELINE_3,
    PYANNOTE_PIPELINE_4,
    hf_dtype_kwarg,
    hf_generate_kwargs,
    hf_max_new_tokens,
    is_english_only,
    pyannote_annotation,
    pyannote_default_pipeline,
    pyannote_from_pretrained_kwargs,
    pyannote_terms_hint,
    whisperx_load_model_kwargs,
)

from tests.gpu_fakes import load_model_38

CACHE_DIR = "/tmp/pyannote-cache"


# pyannote.audio 3.x, src/pyannote/audio/core/pipeline.py
def from_pretrained_3x(
    checkpoint_path: Union[Text, Path],
    hparams_file: Union[Text, Path] = None,
    use_auth_token: Union[Text, None] = None,
    cache_dir: Union[Path, Text] = CACHE_DIR,
):
    return {"checkpoint_path": checkpoint_path, "use_auth_token": use_auth_token}


# pyannote.audio 4.0, src/pyannote/audio/core/pipeline.py
def from_pretrained_4x(
    checkpoint: Union[Text, Path],
    hparams_file: Union[Text, Path] = None,
    token: Union[Text, None] = None,
    cache_dir: Union[Path, Text, None] = None,
):
    return {"checkpoint": checkpoint, "token": token}


# whisperX v3.8.4, whisperx/__init__.py: what `whisperx.load_model` is since 3.4.0.
def load_model(*args, **kwargs):
    return load_model_38(*args, **kwargs)


# An old whisperX (3.1) had no way to hand in a VAD model.
def load_model_31(whisper_arch, device, device_index=0, compute_type="float16", asr_options=None, language=None, vad_options=None, model=None, task="transcribe", download_root=None, threads=4):
    return locals()


# transformers 4.x PreTrainedModel.from_pretrained: dtype only as torch_dtype in **kwargs.
def from_pretrained_tf4(pretrained_model_name_or_path, *model_args, config=None, cache_dir=None, **kwargs):
    torch_dtype = kwargs.pop("torch_dtype", None)
    return torch_dtype


# transformers 5.x src/transformers/modeling_utils.py: `dtype` popped, torch_dtype "kept for BC".
def from_pretrained_tf5(pretrained_model_name_or_path, *model_args, config=None, cache_dir=None, **kwargs):
    dtype = kwargs.pop("dtype", None)
    torch_dtype = kwargs.pop("torch_dtype", None)  # kept for BC
    return dtype or torch_dtype


class PyannoteArgs(unittest.TestCase):
    def test_3x_gets_use_auth_token_and_checkpoint_path(self):
        kwargs = pyannote_from_pretrained_kwargs(from_pretrained_3x, "pyannote/speaker-diarization-3.1", "hf_x")
        self.assertEqual(kwargs, {"checkpoint_path": "pyannote/speaker-diarization-3.1", "use_auth_token": "hf_x"})
        self.assertEqual(from_pretrained_3x(**kwargs)["use_auth_token"], "hf_x")

    def test_4x_gets_token_and_checkpoint(self):
        kwargs = pyannote_from_pretrained_kwargs(from_pretrained_4x, PYANNOTE_PIPELINE_4, "hf_x")
        self.assertEqual(kwargs, {"checkpoint": PYANNOTE_PIPELINE_4, "token": "hf_x"})
        self.assertEqual(from_pretrained_4x(**kwargs)["token"], "hf_x")

    def test_no_token_passes_no_keyword(self):
        self.assertEqual(pyannote_from_pretrained_kwargs(from_pretrained_4x, "/models/diar", ""), {"checkpoint": "/models/diar"})

    def test_default_pipeline_follows_the_signature(self):
        self.assertEqual(pyannote_default_pipeline(from_pretrained_4x), PYANNOTE_PIPELINE_4)
        self.assertEqual(pyannote_default_pipeline(from_pretrained_3x), PYANNOTE_PIPELINE_3)

    def test_an_unknown_signature_is_refused(self):
        with self.assertRaises(TypeError):
            pyannote_from_pretrained_kwargs(lambda checkpoint, auth=None: None, "x", "hf_x")

    def test_terms_hint_names_community_1(self):
        hint = pyannote_terms_hint(PYANNOTE_PIPELINE_3)
        self.assertIn(PYANNOTE_PIPELINE_4, hint)
        self.assertIn("PLDA", hint)

    def test_exclusive_diarization_is_preferred(self):
        class Output4:
            speaker_diarization = "overlapping"
            exclusive_speaker_diarization = "exclusive"

        class Legacy4:
            speaker_diarization = "overlapping"

        annotation3 = object()
        self.assertEqual(pyannote_annotation(Output4()), "exclusive")
        self.assertEqual(pyannote_annotation(Legacy4()), "overlapping")
        self.assertIs(pyannote_annotation(annotation3), annotation3)


class WhisperXArgs(unittest.TestCase):
    def test_vad_is_handed_in_never_built(self):
        placeholder = object()
        kwargs = whisperx_load_model_kwargs(load_model_38, "large-v3", "cuda", "float16", placeholder)
        self.assertIs(kwargs["vad_model"], placeholder)
        self.assertNotIn("vad_method", kwargs)
        self.assertEqual(load_model_38(**kwargs)["vad_method"], "pyannote")  # ignored by load_model when vad_model is set

    def test_language_open_device_index_zero(self):
        kwargs = whisperx_load_model_kwargs(load_model_38, "large-v3", "cuda", "float16", object())
        self.assertIsNone(kwargs["language"])
        self.assertEqual(kwargs["device_index"], 0)
        self.assertEqual(kwargs["compute_type"], "float16")
        self.assertEqual(kwargs["whisper_arch"], "large-v3")

    def test_options_and_local_files(self):
        kwargs = whisperx_load_model_kwargs(load_model_38, "large-v3", "cuda", "int8_float16", object(), asr_options={"beam_size": 1}, download_root="/models", local_files_only=True)
        self.assertEqual(kwargs["asr_options"], {"beam_size": 1})
        self.assertEqual(kwargs["download_root"], "/models")
        self.assertTrue(kwargs["local_files_only"])
        load_model_38(**kwargs)  # every keyword exists upstream

    def test_defaults_are_left_to_whisperx(self):
        kwargs = whisperx_load_model_kwargs(load_model_38, "small", "cpu", "int8", object())
        for absent in ("asr_options", "download_root", "local_files_only"):
            self.assertNotIn(absent, kwargs)

    def test_the_lazy_wrapper_is_refused_with_the_function_to_pass_instead(self):
        with self.assertRaises(TypeError) as ctx:
            whisperx_load_model_kwargs(load_model, "small", "cpu", "int8", object())
        self.assertIn("whisperx.asr.load_model", str(ctx.exception))

    def test_a_whisperx_without_vad_model_is_refused(self):
        with self.assertRaises(TypeError):
            whisperx_load_model_kwargs(load_model_31, "small", "cpu", "int8", object())


class HfArgs(unittest.TestCase):
    def test_english_only_models_get_no_language_or_task(self):
        kwargs = hf_generate_kwargs(["en", "en"], True, 446)
        self.assertNotIn("language", kwargs)
        self.assertNotIn("task", kwargs)

    def test_multilingual_models_get_a_language_per_item(self):
        kwargs = hf_generate_kwargs(["en", "pt"], False, 444)
        self.assertEqual(kwargs["language"], ["en", "pt"])
        self.assertEqual(kwargs["task"], "transcribe")
        self.assertNotIn("min_new_tokens", kwargs)

    def test_detection_passes_no_language(self):
        self.assertNotIn("language", hf_generate_kwargs(None, False, 444))

    def test_decode_length_is_the_models_unless_measuring(self):
        self.assertEqual(hf_max_new_tokens(448, english_only=False), 444)
        self.assertEqual(hf_max_new_tokens(448, english_only=True), 446)
        self.assertEqual(hf_max_new_tokens(448, english_only=False, fixed=96), 96)
        self.assertGreater(hf_max_new_tokens(448, english_only=False), 170)  # 30 s of packed call speech

    def test_measurement_pins_the_length(self):
        kwargs = hf_generate_kwargs(None, True, 96, measurement=True)
        self.assertEqual((kwargs["max_new_tokens"], kwargs["min_new_tokens"]), (96, 96))
        self.assertNotIn("language", kwargs)

    def test_word_timestamps_ask_for_token_timestamps(self):
        kwargs = hf_generate_kwargs(["en"], False, 444, word_timestamps=True)
        self.assertTrue(kwargs["return_token_timestamps"])
        self.assertTrue(kwargs["return_dict_in_generate"])
        self.assertNotIn("return_token_timestamps", hf_generate_kwargs(["en"], False, 444))

    def test_english_only_by_config_then_by_name(self):
        class Config:
            def __init__(self, multilingual):
                self.is_multilingual = multilingual

        self.assertTrue(is_english_only("whatever", Config(False)))
        self.assertFalse(is_english_only("whisper-small.en", Config(True)))
        self.assertTrue(is_english_only("/models/whisper-small.en/"))
        self.assertFalse(is_english_only("/models/whisper-large-v3"))

    def test_dtype_keyword_follows_the_loader(self):
        self.assertEqual(hf_dtype_kwarg(from_pretrained_tf5, "float16"), {"dtype": "float16"})
        self.assertEqual(hf_dtype_kwarg(from_pretrained_tf4, "float16"), {"torch_dtype": "float16"})
        self.assertEqual(hf_dtype_kwarg(lambda path, dtype=None: None, "float16"), {"dtype": "float16"})
        self.assertEqual(hf_dtype_kwarg(lambda path, torch_dtype=None: None, "float16"), {"torch_dtype": "float16"})


if __name__ == "__main__":
    unittest.main()
