"""Stand-ins for the compiled libraries, so the real Python sources of whisperX, faster-whisper,
CTranslate2's Python package and pyannote.audio import on a machine without them.

Only two kinds of module are stood in for: the native libraries (NATIVE: torch, torchaudio,
ctranslate2's compiled `_ext`, tokenizers, onnxruntime, ...), and pure-Python dependencies whose
source is not in the upstream folder (each one is reported, so a reader knows what was not real).
Everything we check a call against is imported from its real source.

A stand-in answers any attribute with another stand-in class, can be subclassed (`class M(nn.Module)`),
called, used as a decorator (it hands the decorated function back, so upstream methods keep their
real signatures) and used in annotations. Where the worker reads results (CTranslate2's Whisper,
the tokenizers library) the stand-in has the shape of the pinned release, transcribed from its
source: see ctranslate2_ext().
"""
from __future__ import annotations

import importlib.abc
import importlib.machinery
import inspect
import sys
import types
from typing import Any, Dict, List, Optional, Sequence, Set

# Compiled libraries: always stood in for, even when installed, so every run checks the same thing.
NATIVE = (
    "torch", "torchaudio", "torchcodec", "torchvision", "triton", "onnxruntime", "av", "tokenizers",
    "safetensors", "soundfile", "pandas", "ctranslate2._ext",
)
NATIVE_VERSIONS = {"torch": "2.8.0", "torchaudio": "2.8.0", "torchvision": "0.23.0", "torchcodec": "0.7.0"}


class _StubMeta(type):
    def __getattr__(cls, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return stub_class(f"{cls.__name__}.{name}")

    def __getitem__(cls, item: Any) -> Any:
        return cls

    def __iter__(cls):
        return iter(())

    def __len__(cls) -> int:
        return 0

    def __bool__(cls) -> bool:
        return True

    def __or__(cls, other: Any) -> Any:
        return cls

    def __ror__(cls, other: Any) -> Any:
        return cls

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        # Used as a bare decorator (`@torch.no_grad` or `@torch.jit.script`): hand the function back.
        if len(args) == 1 and not kwargs and inspect.isroutine(args[0]) and not isinstance(args[0], type):
            return args[0]
        return super().__call__(*args, **kwargs)


class Stub(metaclass=_StubMeta):
    """An instance of a stood-in class: every operation gives another stand-in."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def __init_subclass__(cls, **kwargs: Any) -> None:
        pass

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return stub_class(f"{type(self).__name__}.{name}")()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if len(args) == 1 and not kwargs and callable(args[0]) and not isinstance(args[0], Stub):
            return args[0]  # a decorator made by a call: `@torch.inference_mode()`
        return Stub()

    def __getitem__(self, item: Any) -> Any:
        return Stub()

    def __setitem__(self, key: Any, value: Any) -> None:
        pass

    def __iter__(self):
        return iter(())

    def __len__(self) -> int:
        return 0

    def __bool__(self) -> bool:
        return True

    def __int__(self) -> int:
        return 0

    def __index__(self) -> int:
        return 0

    def __float__(self) -> float:
        return 0.0

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc: Any) -> bool:
        return False

    def __lt__(self, other: Any) -> bool:
        return False

    __le__ = __gt__ = __ge__ = __lt__

    def _op(self, *args: Any) -> Any:
        return Stub()

    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __truediv__ = __rtruediv__ = _op
    __floordiv__ = __rfloordiv__ = __mod__ = __pow__ = __neg__ = __matmul__ = __and__ = __or__ = _op


_classes: Dict[str, type] = {}


def stub_class(name: str) -> type:
    if name not in _classes:
        _classes[name] = _StubMeta(name.rsplit(".", 1)[-1], (Stub,), {"__module__": name.rsplit(".", 1)[0], "__qualname__": name})
    return _classes[name]


class StubModule(types.ModuleType):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.__path__: List[str] = []  # a package, so `import torch.nn.functional` resolves
        self.__file__ = f"<stub {name}>"
        if name in NATIVE_VERSIONS:
            self.__version__ = NATIVE_VERSIONS[name]

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        full = f"{self.__name__}.{name}"
        if full in sys.modules:
            return sys.modules[full]
        value = stub_class(full)
        setattr(self, name, value)
        return value


class _Loader(importlib.abc.Loader):
    def __init__(self, finder: "StubFinder") -> None:
        self._finder = finder

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        return self._finder.make(spec.name)

    def exec_module(self, module: types.ModuleType) -> None:
        pass


class StubFinder(importlib.abc.MetaPathFinder):
    """Placed first, it answers for NATIVE modules; placed last (the same object, `fallback`), for
    any top-level or namespace-package module the real path cannot find."""

    def __init__(self, specials: Optional[Dict[str, types.ModuleType]] = None) -> None:
        self.native_used: Set[str] = set()
        self.upstream_root = ""
        self.absent_used: Set[str] = set()
        self._specials = specials or {}
        self.fallback = _Fallback(self)

    def make(self, name: str) -> types.ModuleType:
        return self._specials.get(name) or StubModule(name)

    def _is_native(self, name: str) -> bool:
        return any(name == n or name.startswith(n + ".") for n in NATIVE)

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Optional[importlib.machinery.ModuleSpec]:
        if not self._is_native(name):
            return None
        self.native_used.add(name.split(".")[0] if not name.startswith("ctranslate2.") else name)
        return importlib.machinery.ModuleSpec(name, _Loader(self), is_package=True)


class _Fallback(importlib.abc.MetaPathFinder):
    def __init__(self, owner: StubFinder) -> None:
        self._owner = owner

    def _from_upstream(self) -> bool:
        """Whether the import statement being run is in an upstream source under `upstream_root`."""
        frame = sys._getframe(2)
        while frame is not None:
            file = frame.f_code.co_filename
            if not file.startswith("<frozen") and file != __file__:
                return bool(self._owner.upstream_root) and file.startswith(self._owner.upstream_root)
            frame = frame.f_back
        return False

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Optional[importlib.machinery.ModuleSpec]:
        parent = name.rpartition(".")[0]
        if parent:
            module = sys.modules.get(parent)
            # Inside a stood-in package, or a namespace package (pyannote.*) missing one member.
            namespace = module is not None and getattr(module, "__file__", None) is None
            if not isinstance(module, StubModule) and not namespace:
                return None
        if not isinstance(sys.modules.get(parent), StubModule):
            if not self._from_upstream():
                return None  # an optional import of an installed package (scipy's uarray): its own ImportError
            self._owner.absent_used.add(name)
        return importlib.machinery.ModuleSpec(name, _Loader(self._owner), is_package=True)


def install(upstream_root: str, specials: Optional[Dict[str, types.ModuleType]] = None) -> StubFinder:
    finder = StubFinder(specials)
    finder.upstream_root = upstream_root.rstrip("/") + "/"
    sys.meta_path.insert(0, finder)
    sys.meta_path.append(finder.fallback)
    return finder


# ---- shapes the worker reads ------------------------------------------------------------------
# CTranslate2 v4.6.0 python/cpp/whisper.cc and storage_view.cc: the pybind11 definitions, transcribed
# parameter for parameter (names, order, keyword-only marker, defaults) so binding is checked against them.

def _sig(params: Sequence[inspect.Parameter]) -> inspect.Signature:
    return inspect.Signature(list(params))


_P = inspect.Parameter


def _pos(name: str, default: Any = _P.empty) -> inspect.Parameter:
    return _P(name, _P.POSITIONAL_OR_KEYWORD, default=default)


def _kw(name: str, default: Any) -> inspect.Parameter:
    return _P(name, _P.KEYWORD_ONLY, default=default)


CT2_WHISPER_INIT = _sig([
    _pos("self"), _pos("model_path"), _pos("device", "cpu"), _kw("device_index", 0), _kw("compute_type", "default"),
    _kw("inter_threads", 1), _kw("intra_threads", 0), _kw("max_queued_batches", 0), _kw("flash_attention", False),
    _kw("tensor_parallel", False), _kw("files", None),
])
CT2_WHISPER_ENCODE = _sig([_pos("self"), _pos("features"), _pos("to_cpu", False)])
CT2_WHISPER_GENERATE = _sig([
    _pos("self"), _pos("features"), _pos("prompts"), _kw("asynchronous", False), _kw("beam_size", 5), _kw("patience", 1),
    _kw("num_hypotheses", 1), _kw("length_penalty", 1), _kw("repetition_penalty", 1), _kw("no_repeat_ngram_size", 0),
    _kw("max_length", 448), _kw("return_scores", False), _kw("return_logits_vocab", False), _kw("return_no_speech_prob", False),
    _kw("max_initial_timestamp_index", 50), _kw("suppress_blank", True), _kw("suppress_tokens", [-1]), _kw("sampling_topk", 1),
    _kw("sampling_temperature", 1),
])
CT2_WHISPER_DETECT_LANGUAGE = _sig([_pos("self"), _pos("features")])
CT2_STORAGE_FROM_ARRAY = _sig([_pos("array")])
CT2_WHISPER_CC = "ctranslate2/python/cpp/whisper.cc"
# Each call the worker makes into CTranslate2, with the line of its pybind11 definition at v4.6.0.
CT2_CALLS = {
    "ctranslate2.models.Whisper(...)": f"{CT2_WHISPER_CC}:177",
    "ctranslate2 StorageView.from_array": "ctranslate2/python/cpp/storage_view.cc:143",
    "ctranslate2 Whisper.encode": f"{CT2_WHISPER_CC}:226",
    "ctranslate2 Whisper.detect_language": f"{CT2_WHISPER_CC}:299",
    "ctranslate2 Whisper.generate": f"{CT2_WHISPER_CC}:242",
}


def ctranslate2_ext(record: Any) -> types.ModuleType:
    """`ctranslate2._ext` with a Whisper class whose methods bind their arguments against the
    transcribed pybind11 signatures and report through `record(call, where, signature, args, kwargs)`.
    `batch_hint[0]` is the batch size when the features went through stood-in torch (shape unknown)."""
    ext = StubModule("ctranslate2._ext")
    ext.batch_hint = [1]

    def _batch_size(array: Any) -> int:
        batch = getattr(array, "batch", None)
        if isinstance(batch, int):
            return batch
        shape = getattr(array, "shape", None)
        return int(shape[0]) if isinstance(shape, tuple) and shape else ext.batch_hint[0]

    class WhisperGenerationResult:
        def __init__(self, ids: List[int]) -> None:
            self.sequences_ids = [ids]
            self.sequences = [["tok"] * len(ids)]
            self.scores = [0.0]
            self.no_speech_prob = 0.0

    class Whisper:
        is_multilingual = True
        n_mels = 80
        num_languages = 99

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            record("ctranslate2.models.Whisper(...)", f"{CT2_WHISPER_CC}:177", CT2_WHISPER_INIT, (self, *args), kwargs)

        def encode(self, *args: Any, **kwargs: Any) -> Any:
            record("ctranslate2 Whisper.encode", f"{CT2_WHISPER_CC}:226", CT2_WHISPER_ENCODE, (self, *args), kwargs)
            out = Stub()
            out.batch = _batch_size(args[0] if args else kwargs.get("features"))
            return out

        def detect_language(self, *args: Any, **kwargs: Any) -> Any:
            record("ctranslate2 Whisper.detect_language", f"{CT2_WHISPER_CC}:299", CT2_WHISPER_DETECT_LANGUAGE, (self, *args), kwargs)
            count = _batch_size(args[0] if args else kwargs.get("features"))
            return [[("<|en|>", 0.9), ("<|de|>", 0.1)] for _ in range(count)]

        def generate(self, *args: Any, **kwargs: Any) -> Any:
            record("ctranslate2 Whisper.generate", f"{CT2_WHISPER_CC}:242", CT2_WHISPER_GENERATE, (self, *args), kwargs)
            prompts = args[1] if len(args) > 1 else kwargs.get("prompts", [])
            return [WhisperGenerationResult([1000, 1001]) for _ in prompts]

    class StorageView(Stub):
        @staticmethod
        def from_array(*args: Any, **kwargs: Any) -> Any:
            record("ctranslate2 StorageView.from_array", "ctranslate2/python/cpp/storage_view.cc:143", CT2_STORAGE_FROM_ARRAY, args, kwargs)
            view = StorageView()
            view.batch = _batch_size(args[0] if args else kwargs.get("array"))
            return view

    ext.Whisper = Whisper
    ext.WhisperGenerationResult = WhisperGenerationResult
    ext.StorageView = StorageView
    ext.get_cuda_device_count = lambda: 0
    ext.get_supported_compute_types = lambda *a, **k: {"float32", "int8"}
    ext.contains_model = lambda path: True
    return ext


def tokenizers_module() -> types.ModuleType:
    """The `tokenizers` library (Rust): ids for Whisper's special tokens, text for ids."""
    mod = StubModule("tokenizers")

    class Tokenizer:
        _vocab: Dict[str, int] = {}

        @classmethod
        def from_file(cls, path: str) -> "Tokenizer":
            return cls()

        @classmethod
        def from_pretrained(cls, name: str, *args: Any, **kwargs: Any) -> "Tokenizer":
            return cls()

        def token_to_id(self, token: str) -> int:
            return self._vocab.setdefault(token, 50000 + len(self._vocab))

        def encode(self, text: str, add_special_tokens: bool = True) -> Any:
            enc = types.SimpleNamespace(ids=[ord(c) for c in text])
            return enc

        def decode(self, ids: Sequence[int], skip_special_tokens: bool = True) -> str:
            return " ".join(f"w{int(i)}" for i in ids)

        def get_vocab_size(self) -> int:
            return 51865

    mod.Tokenizer = Tokenizer
    return mod
