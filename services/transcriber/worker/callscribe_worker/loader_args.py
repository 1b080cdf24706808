"""Pure functions that build the arguments for the GPU libraries' loaders and decoders.

They inspect the callable they are given (its signature, not a version string), so one worker runs
against the releases before and after a rename. No heavy import happens here: the unit tests in
worker/tests call them with small stand-ins that copy the upstream signatures.

Checked against (see docs/upstream-checks.md):
- pyannote.audio 3.x `Pipeline.from_pretrained(checkpoint_path, hparams_file=None, use_auth_token=None,
  cache_dir=CACHE_DIR)` and 4.x `Pipeline.from_pretrained(checkpoint, hparams_file=None, token=None,
  cache_dir=None)` (pyannote/pyannote-audio src/pyannote/audio/core/pipeline.py).
- whisperX 3.8.4 `whisperx.asr.load_model(whisper_arch, device, device_index=0, compute_type="default",
  asr_options=None, language=None, vad_model=None, vad_method="pyannote", vad_options=None, model=None,
  task="transcribe", download_root=None, local_files_only=False, threads=4, use_auth_token=None)`
  (m-bain/whisperX v3.8.4 whisperx/asr.py). `whisperx.load_model` itself is, since 3.4.0, a lazy
  `def load_model(*args, **kwargs)` in whisperx/__init__.py that imports whisperx.asr and forwards:
  its signature says nothing, so the real one in whisperx.asr is the one to inspect.
- transformers Whisper `generate(..., language=None, task=None, is_multilingual=None,
  return_token_timestamps=None, ...)` (src/transformers/models/whisper/generation_whisper.py), and
  `PreTrainedModel.from_pretrained`, which in 5.x pops `dtype` from **kwargs and keeps `torch_dtype`
  only for backward compatibility (src/transformers/modeling_utils.py).
"""
from __future__ import annotations

import inspect
from typing import Any, Callable, Dict, Optional, Sequence

PYANNOTE_PIPELINE_3 = "pyannote/speaker-diarization-3.1"
PYANNOTE_PIPELINE_4 = "pyannote/speaker-diarization-community-1"

# Whisper's decoder has 448 positions (config.max_target_positions); the prompt takes
# <|startoftranscript|>, <|lang|>, <|transcribe|> and <|notimestamps|>.
WHISPER_PROMPT_TOKENS_MULTILINGUAL = 4
WHISPER_PROMPT_TOKENS_ENGLISH_ONLY = 2


def _parameters(fn: Callable[..., Any]) -> Dict[str, inspect.Parameter]:
    try:
        return dict(inspect.signature(fn).parameters)
    except (TypeError, ValueError):  # builtins without a signature
        return {}


def _accepts(fn: Callable[..., Any], name: str) -> bool:
    return name in _parameters(fn)


# ---- pyannote ---------------------------------------------------------------------------------

def pyannote_token_keyword(from_pretrained: Callable[..., Any]) -> str:
    """`token` since pyannote.audio 4.0, `use_auth_token` before."""
    params = _parameters(from_pretrained)
    if "token" in params:
        return "token"
    if "use_auth_token" in params:
        return "use_auth_token"
    raise TypeError("Pipeline.from_pretrained takes neither token nor use_auth_token; this pyannote.audio is not 3.x or 4.x")


def pyannote_default_pipeline(from_pretrained: Callable[..., Any]) -> str:
    """community-1 on 4.x (its config is what 4.x is built for), 3.1 on 3.x (4.x's format is unknown to it)."""
    return PYANNOTE_PIPELINE_4 if pyannote_token_keyword(from_pretrained) == "token" else PYANNOTE_PIPELINE_3


def pyannote_from_pretrained_kwargs(from_pretrained: Callable[..., Any], checkpoint: str, token: str) -> Dict[str, Any]:
    """Keyword arguments for `Pipeline.from_pretrained(**kwargs)` on either major version.

    The checkpoint is passed by keyword too because its name changed with the token's
    (`checkpoint_path` in 3.x, `checkpoint` in 4.x).
    """
    params = _parameters(from_pretrained)
    checkpoint_name = "checkpoint" if "checkpoint" in params else "checkpoint_path"
    kwargs: Dict[str, Any] = {checkpoint_name: checkpoint}
    if token:
        kwargs[pyannote_token_keyword(from_pretrained)] = token
    return kwargs


def pyannote_terms_hint(checkpoint: str) -> str:
    """What to tell an operator whose token cannot load the pipeline."""
    return (
        f"the Hugging Face account behind HF_TOKEN must have accepted the terms of {checkpoint!r} and of "
        f"{PYANNOTE_PIPELINE_4!r}: pyannote.audio 4.x builds every speaker-diarization pipeline, 3.1 included, "
        "with community-1's PLDA, so a token without community-1's terms fails either way"
    )


def pyannote_annotation(output: Any) -> Any:
    """The annotation to assign words with: 4.x's overlap-free `exclusive_speaker_diarization` when
    present, else `speaker_diarization` (4.x), else the 3.x output itself (an Annotation)."""
    exclusive = getattr(output, "exclusive_speaker_diarization", None)
    if exclusive is not None:
        return exclusive
    full = getattr(output, "speaker_diarization", None)
    return full if full is not None else output


# ---- whisperX ---------------------------------------------------------------------------------

def whisperx_load_model_kwargs(
    load_model: Callable[..., Any],
    model: str,
    device: str,
    compute_type: str,
    no_vad: Any,
    asr_options: Optional[Dict[str, Any]] = None,
    download_root: str = "",
    local_files_only: bool = False,
) -> Dict[str, Any]:
    """Keyword arguments for `whisperx.asr.load_model(**kwargs)` (pass that function, not the lazy wrapper).

    - VAD: the transcriber already cut speech into chunks, so whisperX's own VAD must not load (its
      Silero comes from torch.hub, pyannote's needs weights). `load_model` builds Silero or pyannote
      unless `vad_model` is given ("manually assigned vad_model has higher priority than vad_method"),
      so a placeholder goes in `vad_model`; `vad_method` is never passed.
    - language: left open (None) so one worker serves every language; the backend picks a tokenizer
      per item. whisperX itself forces "en" for `*.en` models.
    - device_index 0: the worker is pinned to one GPU with CUDA_VISIBLE_DEVICES.
    """
    params = _parameters(load_model)
    if params and all(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in params.values()):
        raise TypeError(
            f"{getattr(load_model, '__qualname__', load_model)!r} only forwards (*args, **kwargs); "
            "pass whisperx.asr.load_model, whose parameters say what this whisperX accepts"
        )
    if "vad_model" not in params:
        raise TypeError("whisperx.asr.load_model has no vad_model parameter; whisperX 3.8 or newer is required")
    kwargs: Dict[str, Any] = {"whisper_arch": model, "device": device, "compute_type": compute_type, "vad_model": no_vad}
    if "device_index" in params:
        kwargs["device_index"] = 0
    if "language" in params:
        kwargs["language"] = None
    if asr_options and "asr_options" in params:
        kwargs["asr_options"] = dict(asr_options)
    if download_root and "download_root" in params:
        kwargs["download_root"] = download_root
    if local_files_only and "local_files_only" in params:
        kwargs["local_files_only"] = True
    return kwargs


# ---- transformers Whisper ---------------------------------------------------------------------

def is_english_only(model_name: str, generation_config: Any = None) -> bool:
    """`*.en` checkpoints take no language or task (transformers raises "Cannot specify `task` or
    `language` for an English-only model"). The generation config knows best; the name is the fallback."""
    flag = getattr(generation_config, "is_multilingual", None) if generation_config is not None else None
    if flag is not None:
        return not bool(flag)
    return model_name.rstrip("/").endswith(".en")


def hf_max_new_tokens(max_target_positions: int, english_only: bool, fixed: int = 0) -> int:
    """The decode budget: `fixed` pins it (random-init measurement, where end-of-text never comes);
    otherwise everything the decoder has left after the prompt. 96 tokens cut real 30 s chunks of
    packed call speech (120-170 tokens)."""
    if fixed > 0:
        return fixed
    prompt = WHISPER_PROMPT_TOKENS_ENGLISH_ONLY if english_only else WHISPER_PROMPT_TOKENS_MULTILINGUAL
    return max(1, int(max_target_positions) - prompt)


def hf_generate_kwargs(
    languages: Optional[Sequence[str]],
    english_only: bool,
    max_new_tokens: int,
    measurement: bool = False,
    word_timestamps: bool = False,
) -> Dict[str, Any]:
    """Keyword arguments for `WhisperForConditionalGeneration.generate(features, **kwargs)`.

    languages: one Whisper code per item (transformers takes a list for a batch), or None to detect
    per item. English-only models get neither language nor task. In measurement mode (random weights)
    the decode length is pinned (min = max) so every run does the same work.
    """
    kwargs: Dict[str, Any] = {"max_new_tokens": max_new_tokens, "do_sample": False}
    if measurement:
        kwargs["min_new_tokens"] = max_new_tokens
        return kwargs
    if not english_only:
        kwargs["task"] = "transcribe"
        if languages is not None:
            kwargs["language"] = list(languages)
    if word_timestamps:
        kwargs["return_token_timestamps"] = True
        kwargs["return_dict_in_generate"] = True
    return kwargs


def hf_dtype_kwarg(from_pretrained: Callable[..., Any], dtype: Any) -> Dict[str, Any]:
    """`dtype=` for transformers 5 (and 4.56+), `torch_dtype=` before.

    Both live in `**kwargs`, so a named parameter decides when there is one; otherwise the loader's
    source says which key it pops (`kwargs.pop("dtype", ...)` since the rename).
    """
    params = _parameters(from_pretrained)
    if "dtype" in params:
        return {"dtype": dtype}
    if "torch_dtype" in params:
        return {"torch_dtype": dtype}
    try:
        source = inspect.getsource(from_pretrained)
    except (OSError, TypeError):
        source = ""
    if 'pop("dtype"' in source or "pop('dtype'" in source:
        return {"dtype": dtype}
    return {"torch_dtype": dtype}
