"""Stand-ins for the GPU libraries, which cannot be installed on a CPU CI machine, with the shapes
(module layout, names, parameters in order, defaults, return types) of the versions the GPU image
pins. Each one names the tag and file it was checked against; what they compute is deliberately
simple, and the tests only rely on what our code does with it.

- whisperX v3.8.4: whisperx/__init__.py (lazy `*args, **kwargs` wrappers over the submodules),
  whisperx/asr.py (`load_model`, `WhisperModel.generate_segment_batched`, `WhisperModel.encode`,
  `FasterWhisperPipeline.__init__`, the default asr options), whisperx/alignment.py
  (`load_align_model`, `align`, DEFAULT_ALIGN_MODELS_TORCH / _HF and their error messages),
  whisperx/audio.py (`mel_filters`).
- faster-whisper v1.2.1: faster_whisper/transcribe.py (`WhisperModel.get_prompt`, `max_length`,
  `feat_kwargs`, `TranscriptionOptions` fields), faster_whisper/tokenizer.py (`Tokenizer.__init__`).
- torchaudio 2.8: src/torchaudio/functional/_alignment.py (`forced_align`, `merge_tokens`, `TokenSpan`),
  src/torchaudio/models/wav2vec2/model.py (`Wav2Vec2Model.forward(waveforms, lengths=None)` returns
  `(emissions, lengths)`).
- torch: only what the worker touches, on numpy (`Tensor` is an ndarray with `.to`, `.float`, `.long`).
"""
from __future__ import annotations

import contextlib
import functools
import importlib
import types
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, Callable, Dict, List, Optional, Tuple, Union

import numpy as np

# ---- torch -------------------------------------------------------------------------------------


class Tensor(np.ndarray):
    device = "cpu"

    def to(self, *args: Any, **kwargs: Any) -> "Tensor":
        return self

    def float(self) -> "Tensor":
        return self.astype(np.float32).view(Tensor)

    def long(self) -> "Tensor":
        return self.astype(np.int64).view(Tensor)

    def exp(self) -> "Tensor":
        return np.exp(self).view(Tensor)


def _log_softmax(x: Any, dim: int = -1) -> Tensor:
    x = np.asarray(x, np.float64)
    shifted = x - x.max(axis=dim, keepdims=True)
    return (shifted - np.log(np.exp(shifted).sum(axis=dim, keepdims=True))).astype(np.float32).view(Tensor)


class OutOfMemoryError(RuntimeError):
    """torch.OutOfMemoryError (torch.cuda.OutOfMemoryError): a RuntimeError subclass, matched by name."""


def fake_torch() -> types.ModuleType:
    torch = types.ModuleType("torch")
    torch.int32 = np.int32
    torch.from_numpy = lambda a: np.asarray(a).view(Tensor)
    torch.tensor = lambda data, dtype=None, device=None: np.array(data, dtype=dtype).view(Tensor)
    torch.arange = lambda n, device=None: np.arange(n).view(Tensor)
    torch.inference_mode = contextlib.nullcontext
    torch.log_softmax = _log_softmax
    torch.cuda = SimpleNamespace(is_available=lambda: False, OutOfMemoryError=OutOfMemoryError)
    torch.OutOfMemoryError = OutOfMemoryError
    return torch


# ---- torchaudio 2.8 ----------------------------------------------------------------------------


@dataclass
class TokenSpan:
    token: int
    start: int
    end: int
    score: float


def forced_align(log_probs: Any, targets: Any, input_lengths: Optional[Any] = None, target_lengths: Optional[Any] = None, blank: int = 0) -> Tuple[Tensor, Tensor]:
    """(1, T) labels and (1, T) scores. Not a Viterbi: each target takes the first frame of an equal
    share of the emission, blanks the rest (so repeated letters stay apart, as CTC requires)."""
    frames, tokens = log_probs.shape[1], targets.shape[1]
    if tokens > frames:
        raise RuntimeError(f"targets length is too long for CTC. Found targets length: {tokens}, log_probs length: {frames}")
    labels = np.full(frames, blank, dtype=np.int64)
    for k in range(tokens):
        labels[k * frames // tokens] = int(targets[0, k])
    scores = np.asarray(log_probs)[0, np.arange(frames), labels]
    return labels[None].view(Tensor), scores[None].view(Tensor)


def merge_tokens(tokens: Any, scores: Any, blank: int = 0) -> List[TokenSpan]:
    spans: List[TokenSpan] = []
    t = [int(v) for v in np.asarray(tokens)]
    s = np.asarray(scores, np.float64)
    k = 0
    while k < len(t):
        end = k
        while end < len(t) and t[end] == t[k]:
            end += 1
        if t[k] != blank:
            spans.append(TokenSpan(t[k], k, end, float(s[k:end].mean())))
        k = end
    return spans


def fake_torchaudio() -> Dict[str, types.ModuleType]:
    torchaudio = types.ModuleType("torchaudio")
    taf = types.ModuleType("torchaudio.functional")
    taf.forced_align = forced_align
    taf.merge_tokens = merge_tokens
    torchaudio.functional = taf
    return {"torchaudio": torchaudio, "torchaudio.functional": taf}


# ---- alignment models --------------------------------------------------------------------------

# torchaudio WAV2VEC2_ASR_BASE_960H labels, lower-cased as whisperx.load_align_model does.
LABELS = ["-", "|", "e", "t", "a", "o", "n", "i", "h", "s", "r", "d", "l", "u", "m", "w", "c", "f", "g", "y", "p", "b", "v", "k", "'", "x", "j", "q", "z"]
DICTIONARY = {c: i for i, c in enumerate(LABELS)}
SAMPLES_PER_FRAME = 320  # wav2vec2's convolutional front end: 20 ms per frame at 16 kHz


class Wav2Vec2Model:
    """Shaped as torchaudio's: forward(waveforms (B, T), lengths (B,) or None) -> ((B, frames, labels), lengths or None).

    Records the shape of every input; `fail` (a callable of the batch) may raise instead.
    """

    def __init__(self, fail: Optional[Callable[[Any], Optional[BaseException]]] = None) -> None:
        self.inputs: List[Tuple[int, ...]] = []
        self.fail = fail

    def __call__(self, waveforms: Any, lengths: Optional[Any] = None) -> Tuple[Tensor, Optional[Tensor]]:
        self.inputs.append(tuple(waveforms.shape))
        error = self.fail(waveforms) if self.fail is not None else None
        if error is not None:
            raise error
        batch, samples = waveforms.shape
        frames = samples // SAMPLES_PER_FRAME
        rng = np.random.default_rng(samples)
        logits = rng.standard_normal((batch, frames, len(LABELS))).astype(np.float32).view(Tensor)
        out_lengths = None if lengths is None else (np.asarray(lengths) // SAMPLES_PER_FRAME).view(Tensor)
        return logits, out_lengths


# ---- whisperX 3.8.4 ----------------------------------------------------------------------------

# whisperx/alignment.py at v3.8.4 (the keys; which model each names does not matter here).
DEFAULT_ALIGN_MODELS_TORCH = {"en": "WAV2VEC2_ASR_BASE_960H", "fr": "VOXPOPULI_ASR_BASE_10K_FR", "de": "VOXPOPULI_ASR_BASE_10K_DE", "es": "VOXPOPULI_ASR_BASE_10K_ES", "it": "VOXPOPULI_ASR_BASE_10K_IT"}
DEFAULT_ALIGN_MODELS_HF = {"pt": "jonatasgrosman/wav2vec2-large-xlsr-53-portuguese", "nl": "jonatasgrosman/wav2vec2-large-xlsr-53-dutch"}


class FakeCt2Whisper:
    """The ctranslate2.models.Whisper a faster_whisper.WhisperModel holds as `.model`."""

    is_multilingual = True
    device = "cpu"
    device_index = [0]

    def __init__(self) -> None:
        self.calls: List[Tuple[str, Any]] = []
        # Each generate call's prompts and keyword arguments, as CTranslate2 4.6's Whisper.generate takes them.
        self.generated: List[Tuple[List[List[Any]], Dict[str, Any]]] = []

    def encode(self, features: Any, to_cpu: bool = False) -> Tuple[str, int]:
        self.calls.append(("encode", len(features)))
        return ("encoded", len(features))

    def detect_language(self, encoded: Any) -> List[List[Tuple[str, float]]]:
        self.calls.append(("detect", encoded[1]))
        return [[("<|de|>", 0.9), ("<|en|>", 0.1)] for _ in range(encoded[1])]

    def generate(self, encoded: Any, prompts: List[List[Any]], **kwargs: Any) -> List[Any]:
        # CTranslate2 4.6 python/cpp/whisper.cc binds these keywords; anything else is a TypeError there.
        allowed = {
            "asynchronous", "beam_size", "patience", "num_hypotheses", "length_penalty", "repetition_penalty", "no_repeat_ngram_size",
            "max_length", "return_scores", "return_logits_vocab", "return_no_speech_prob", "max_initial_timestamp_index",
            "suppress_blank", "suppress_tokens", "sampling_topk", "sampling_temperature",
        }
        unknown = set(kwargs) - allowed
        if unknown:
            raise TypeError(f"generate(): incompatible keyword arguments {sorted(unknown)}")
        langs = [p[p.index("<|notimestamps|>") - 1] for p in prompts]
        self.calls.append(("generate", langs))
        self.generated.append((prompts, kwargs))
        # The fake text says the language back (or nothing, for "xx"); the result holds no prompt tokens, as CTranslate2's.
        return [SimpleNamespace(sequences_ids=[[] if lang == "xx" else [f"hello in {lang}"]], scores=[-0.1]) for lang in langs]


class FakeTokenizer:
    """faster_whisper.tokenizer.Tokenizer(tokenizer, multilingual, task=None, language=None)."""

    eot = "\uffff"  # sorts after every fake token, as the real eot id follows the text ids

    def __init__(self, tokenizer: Any, multilingual: bool, task: Optional[str] = None, language: Optional[str] = None) -> None:
        self.language = language

    def encode(self, text: str) -> List[Any]:
        # One fake token per character, so a test can see where the text was cut.
        return [f"t{c}" for c in text]

    def decode(self, tokens: List[Any]) -> str:
        return " ".join(tokens)


# whisperX v3.8.4, whisperx/asr.py: load_model's names, order and defaults as at the tag. The one
# statement of that signature: the fake whisperX below and tests/test_loader_args.py both use it.
def load_model_38(
    whisper_arch: str,
    device: str,
    device_index=0,
    compute_type="default",
    asr_options: Optional[dict] = None,
    language: Optional[str] = None,
    vad_model: Any = None,
    vad_method: Optional[str] = "pyannote",
    vad_options: Optional[dict] = None,
    model: Any = None,
    task="transcribe",
    download_root: Optional[str] = None,
    local_files_only=False,
    threads=4,
    use_auth_token: Optional[Union[str, bool]] = None,
) -> Dict[str, Any]:
    return dict(locals())


def fake_whisperx(load_model_calls: List[Dict[str, Any]], align_model: Optional[Wav2Vec2Model] = None, align_load_failures: Optional[List[BaseException]] = None) -> Dict[str, types.ModuleType]:
    """sys.modules entries for whisperx 3.8.4 and faster_whisper 1.2.1. Only English has an alignment model
    (`align_model`); the other torchaudio languages fail to download, the Hugging Face ones cannot be
    found. `align_load_failures` are raised, in turn, by the first loads of the English model."""
    ct2_model = FakeCt2Whisper()
    failures = list(align_load_failures or [])
    align_calls: List[str] = []

    class WhisperModel:  # whisperx.asr.WhisperModel(faster_whisper.WhisperModel)
        feat_kwargs = {"feature_size": 80}
        hf_tokenizer = object()
        max_length = 448
        model = ct2_model

        def get_prompt(self, tokenizer: Any, previous_tokens: List[int], without_timestamps: bool = False, prefix: Optional[str] = None, hotwords: Optional[str] = None) -> List[Any]:
            # faster_whisper/transcribe.py v1.2.1 get_prompt: sot_prev and the last max_length // 2 - 1
            # previous tokens, then the sot sequence (here: its language) and no_timestamps.
            prompt: List[Any] = []
            if previous_tokens:
                prompt.append("<|startofprev|>")
                prompt.extend(previous_tokens[-(self.max_length // 2 - 1) :])
            return prompt + [tokenizer.language, "<|notimestamps|>"]

        def generate_segment_batched(self, features: np.ndarray, tokenizer: Any, options: Any, encoder_output: Any = None) -> Dict[str, Any]:
            raise AssertionError("callscribe decodes with a prompt per item, never through generate_segment_batched")

        def encode(self, features: np.ndarray) -> Any:
            raise AssertionError("callscribe encodes the batch itself (to_cpu=False)")

    class FasterWhisperPipeline:
        def __init__(self, model: Any, vad: Any, vad_params: dict, options: Any, tokenizer: Any = None, device: Union[int, str, Any] = -1, framework: str = "pt", language: Optional[str] = None, suppress_numerals: bool = False, **kwargs: Any) -> None:
            self.model, self.vad_model, self._vad_params, self.options = model, vad, vad_params, options
            self.tokenizer, self.preset_language, self.suppress_numerals = tokenizer, language, suppress_numerals

    @functools.wraps(load_model_38)  # inspect.signature sees whisperX's own parameters
    def load_model(*args: Any, **kwargs: Any) -> Any:
        call = load_model_38(*args, **kwargs)  # a keyword whisperX lacks fails here, as upstream
        load_model_calls.append(call)
        vad_model, asr_options, language = call["vad_model"], call["asr_options"], call["language"]
        if vad_model is None:
            raise AssertionError("whisperX would build its own VAD here (Silero from torch.hub, or pyannote's weights)")
        options = {
            "beam_size": 5, "best_of": 5, "patience": 1, "length_penalty": 1, "repetition_penalty": 1, "no_repeat_ngram_size": 0,
            "temperatures": [0.0, 0.2, 0.4, 0.6, 0.8, 1.0], "compression_ratio_threshold": 2.4, "log_prob_threshold": -1.0,
            "no_speech_threshold": 0.6, "condition_on_previous_text": False, "prompt_reset_on_temperature": 0.5, "initial_prompt": None,
            "prefix": None, "suppress_blank": True, "suppress_tokens": [-1], "without_timestamps": True, "max_initial_timestamp": 0.0,
            "word_timestamps": False, "prepend_punctuations": "\"'“¿([{-", "append_punctuations": "\"'.。,，!！?？:：”)]}、",
            "multilingual": True, "max_new_tokens": None, "clip_timestamps": None, "hallucination_silence_threshold": None, "hotwords": None,
        }
        options.update(asr_options or {})
        return FasterWhisperPipeline(model=WhisperModel(), vad=vad_model, options=SimpleNamespace(**options), tokenizer=None, language=language, suppress_numerals=False, vad_params={})

    def load_align_model(language_code: str, device: str, model_name: Optional[str] = None, model_dir: Any = None, model_cache_only: bool = False) -> Tuple[Any, Dict[str, Any]]:
        align_calls.append(language_code)
        if language_code in DEFAULT_ALIGN_MODELS_TORCH:
            if language_code != "en" or align_model is None:
                raise OSError("HTTP Error 503: Service Unavailable")  # torch.hub's download of the bundle
            if failures:
                raise failures.pop(0)
            return align_model, {"language": language_code, "dictionary": DICTIONARY, "type": "torchaudio"}
        if language_code in DEFAULT_ALIGN_MODELS_HF:
            model_name = DEFAULT_ALIGN_MODELS_HF[language_code]
            raise ValueError(f'The chosen align_model "{model_name}" could not be found in huggingface (https://huggingface.co/models) or torchaudio (https://pytorch.org/audio/stable/pipelines.html#id14)')
        raise ValueError(f"No default align-model for language: {language_code}")

    def align(transcript: Any, model: Any, align_model_metadata: dict, audio: Any, device: str, interpolate_method: str = "nearest", return_char_alignments: bool = False, print_progress: bool = False, combined_progress: bool = False, progress_callback: Any = None) -> Any:
        raise AssertionError("callscribe aligns the batch itself")

    def mel_filters(device: Any, n_mels: int) -> Any:
        assert n_mels in [80, 128], f"Unsupported n_mels: {n_mels}"
        return None

    asr = types.ModuleType("whisperx.asr")
    asr.load_model, asr.WhisperModel, asr.FasterWhisperPipeline = load_model, WhisperModel, FasterWhisperPipeline
    alignment = types.ModuleType("whisperx.alignment")
    alignment.load_align_model, alignment.align = load_align_model, align
    alignment.DEFAULT_ALIGN_MODELS_TORCH, alignment.DEFAULT_ALIGN_MODELS_HF = DEFAULT_ALIGN_MODELS_TORCH, DEFAULT_ALIGN_MODELS_HF
    alignment.calls = align_calls
    audio = types.ModuleType("whisperx.audio")
    audio.mel_filters = mel_filters

    # whisperx/__init__.py at v3.8.4, line for line in shape: wrappers that import the submodule on first call.
    whisperx = types.ModuleType("whisperx")
    whisperx.__path__ = []

    def _lazy_import(name: str) -> Any:
        return importlib.import_module(f"whisperx.{name}")

    def load_align_model_wrapper(*args: Any, **kwargs: Any) -> Any:
        return _lazy_import("alignment").load_align_model(*args, **kwargs)

    def align_wrapper(*args: Any, **kwargs: Any) -> Any:
        return _lazy_import("alignment").align(*args, **kwargs)

    def load_model_wrapper(*args: Any, **kwargs: Any) -> Any:
        return _lazy_import("asr").load_model(*args, **kwargs)

    load_align_model_wrapper.__name__ = load_align_model_wrapper.__qualname__ = "load_align_model"
    align_wrapper.__name__ = align_wrapper.__qualname__ = "align"
    load_model_wrapper.__name__ = load_model_wrapper.__qualname__ = "load_model"
    whisperx.load_align_model, whisperx.align, whisperx.load_model = load_align_model_wrapper, align_wrapper, load_model_wrapper
    # What `import whisperx.asr` leaves behind in the real package: the submodules as attributes.
    whisperx.asr, whisperx.alignment, whisperx.audio = asr, alignment, audio

    ctranslate2 = types.ModuleType("ctranslate2")
    ctranslate2.StorageView = SimpleNamespace(from_array=lambda a: a)
    fw = types.ModuleType("faster_whisper")
    fw_tok = types.ModuleType("faster_whisper.tokenizer")
    fw_tok.Tokenizer = FakeTokenizer
    return {
        "whisperx": whisperx, "whisperx.asr": asr, "whisperx.alignment": alignment, "whisperx.audio": audio,
        "ctranslate2": ctranslate2, "faster_whisper": fw, "faster_whisper.tokenizer": fw_tok, "torch": fake_torch(),
        **fake_torchaudio(),
    }
