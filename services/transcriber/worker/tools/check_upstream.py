"""Drives the worker's GPU code paths against the real upstream Python sources; see scripts/check-upstream.sh.

Every call the worker makes into an upstream library goes through a spy that binds the worker's
arguments to the real function's signature (`inspect.signature(fn).bind(...)`) before anything runs,
and records one row: ok, FAIL with the mismatch, or SKIP when that library's source is not at hand.
The file and line printed are those of the real definition in DIR, at the pinned tag.

Usage: check_upstream.py DIR SOURCES   (SOURCES: scripts/upstream-sources.txt)
"""
from __future__ import annotations

import ast
import functools
import inspect
import os
import sys
import tempfile
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Tuple

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
# CALLSCRIBE_WORKER_DIR checks another copy of the worker (a branch's checkout) against the same sources.
WORKER = os.environ.get("CALLSCRIBE_WORKER_DIR") or os.path.dirname(HERE)
sys.path.insert(0, HERE)
import native_stubs  # noqa: E402

OK, FAIL, SKIP, UNUSED = "ok", "FAIL", "SKIP", "-"


@dataclass
class Source:
    folder: str
    repo: str
    tag: str
    path: str
    use: str
    root: str = ""


@dataclass
class Row:
    call: str
    where: str
    status: str = OK
    detail: str = ""
    calls: int = 0
    # A spy's row: it is about calls, so one the worker never made is reported as not called, not ok.
    expects_calls: bool = False
    last_kwargs: Dict[str, Any] = field(default_factory=dict)


@dataclass
class Report:
    dir: str
    rows: Dict[str, Row] = field(default_factory=dict)

    def where(self, fn: Any) -> str:
        """`folder/file.py:line` of a real definition, relative to DIR."""
        fn = inspect.unwrap(getattr(fn, "__func__", fn))
        try:
            file = inspect.getsourcefile(fn) or ""
            lines, line = inspect.getsourcelines(fn)
            # The `def` line, not a decorator's (`@classmethod`, `@lru_cache`).
            line += next((k for k, text in enumerate(lines) if not text.lstrip().startswith("@")), 0)
        except (OSError, TypeError):
            return "?"
        return f"{os.path.relpath(file, self.dir)}:{line}"

    def row(self, call: str, where: str) -> Row:
        if call not in self.rows:
            self.rows[call] = Row(call, where)
        return self.rows[call]

    def bind(self, call: str, where: str, signature: inspect.Signature, args: Tuple[Any, ...], kwargs: Dict[str, Any], strict: bool = False) -> None:
        """strict: every keyword must be a named parameter, not swallowed by **kwargs (where a
        misspelt option would be ignored without a word, as in SpeakerDiarization.apply)."""
        row = self.row(call, where)
        row.calls += 1
        row.last_kwargs = dict(kwargs)
        shown = ", ".join([f"<{len(args)} positional>"] + sorted(kwargs))
        try:
            signature.bind(*args, **kwargs)
        except TypeError as exc:
            row.status, row.detail = FAIL, f"{exc}; called with ({shown}); real signature {signature}"
            return
        named = {n for n, p in signature.parameters.items() if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}
        unnamed = sorted(set(kwargs) - named)
        if strict and unnamed:
            row.status, row.detail = FAIL, f"{unnamed} would land in **kwargs and be ignored; called with ({shown}); real signature {signature}"

    def fail(self, call: str, where: str, detail: str) -> None:
        row = self.row(call, where)
        row.status, row.detail = FAIL, detail

    def skip(self, call: str, where: str, detail: str) -> None:
        row = self.row(call, where)
        if row.status == OK and not row.calls:
            row.status, row.detail = SKIP, detail

    def note(self, call: str, where: str, detail: str) -> None:
        row = self.row(call, where)
        row.detail = row.detail or detail


def read_sources(dir_: str, manifest: str) -> Dict[str, Source]:
    out: Dict[str, Source] = {}
    with open(manifest, encoding="utf-8") as fh:
        for line in fh:
            parts = line.split("#", 1)[0].split()
            if len(parts) != 5:
                continue
            src = Source(*parts)
            tag_file = os.path.join(dir_, src.folder, ".callscribe-tag")
            if os.path.exists(tag_file):
                with open(tag_file, encoding="utf-8") as t:
                    src.tag = t.read().strip()
                src.root = os.path.normpath(os.path.join(dir_, src.folder, src.path))
            out[src.folder] = src
    return out


def write_dist_info(sources: Dict[str, Source]) -> str:
    """Installed-package metadata for the imported sources (pyannote.audio reads its own version)."""
    dist = tempfile.mkdtemp(prefix="callscribe-upstream-dist-")
    for folder, src in sources.items():
        if src.root and src.use == "import":
            version = src.tag.lstrip("v")
            info = os.path.join(dist, f"{folder.replace('-', '_')}-{version}.dist-info")
            os.makedirs(info)
            with open(os.path.join(info, "METADATA"), "w", encoding="utf-8") as fh:
                fh.write(f"Metadata-Version: 2.1\nName: {folder}\nVersion: {version}\n")
    return dist


# ---- spies --------------------------------------------------------------------------------------

def spy(report: Report, owner: Any, attr: str, call: str, run: bool = True, returns: Optional[Callable[..., Any]] = None) -> None:
    """Replace owner.attr with a wrapper that binds each call to the real signature, then runs the
    real code (run=True) or answers with returns(*args, **kwargs) (when the real code would reach
    the network or a GPU). functools.wraps keeps the signature the worker may inspect."""
    raw = inspect.getattr_static(owner, attr)
    is_classmethod = isinstance(raw, classmethod)
    real = raw.__func__ if is_classmethod else raw
    signature = inspect.signature(real)
    where = report.where(real)
    if where == "?":  # a generated method (a dataclass's __init__): the class is where it is defined
        where = report.where(owner)
    report.row(call, where).expects_calls = True

    @functools.wraps(real)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        report.bind(call, where, signature, args, kwargs)
        if returns is not None and not run:
            return returns(*args, **kwargs)
        try:
            return real(*args, **kwargs)
        except Exception:
            if returns is None:
                raise
            return returns(*args, **kwargs)

    setattr(owner, attr, classmethod(wrapper) if is_classmethod else wrapper)


def ast_signature(file: str, qualname: str) -> inspect.Signature:
    """The signature of `Class.method` or `function` in a source file, read without importing it
    (transformers and torchaudio cannot be imported without torch). Defaults are placeholders."""
    with open(file, encoding="utf-8") as fh:
        tree = ast.parse(fh.read())
    parts = qualname.split(".")
    body: List[ast.stmt] = tree.body
    node: Any = None
    for i, part in enumerate(parts):
        node = next((n for n in body if isinstance(n, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == part), None)
        if node is None:
            raise LookupError(f"{qualname} not found in {file}")
        body = node.body
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        raise LookupError(f"{qualname} in {file} is not a function")
    a = node.args
    P = inspect.Parameter
    params: List[inspect.Parameter] = []
    positional = a.posonlyargs + a.args
    defaults = [P.empty] * (len(positional) - len(a.defaults)) + ["<default>"] * len(a.defaults)
    for k, arg in enumerate(positional):
        kind = P.POSITIONAL_ONLY if k < len(a.posonlyargs) else P.POSITIONAL_OR_KEYWORD
        params.append(P(arg.arg, kind, default=defaults[k]))
    if a.vararg:
        params.append(P(a.vararg.arg, P.VAR_POSITIONAL))
    for arg, default in zip(a.kwonlyargs, a.kw_defaults):
        params.append(P(arg.arg, P.KEYWORD_ONLY, default=P.empty if default is None else "<default>"))
    if a.kwarg:
        params.append(P(a.kwarg.arg, P.VAR_KEYWORD))
    return inspect.Signature(params)


def ast_where(report: Report, file: str, qualname: str) -> str:
    with open(file, encoding="utf-8") as fh:
        tree = ast.parse(fh.read())
    body: List[ast.stmt] = tree.body
    line = 0
    for part in qualname.split("."):
        node = next((n for n in body if isinstance(n, (ast.ClassDef, ast.FunctionDef)) and n.name == part), None)
        if node is None:
            return os.path.relpath(file, report.dir)
        body, line = node.body, node.lineno
    return f"{os.path.relpath(file, report.dir)}:{line}"


# ---- whisperX / faster-whisper / CTranslate2 ------------------------------------------------------

CHUNK = np.sin(np.linspace(0, 800 * np.pi, 16000 * 2)).astype(np.float32) * 0.1


def check_whisperx(report: Report, sources: Dict[str, Source], ext: Any, model_dir: str) -> None:
    import faster_whisper.tokenizer
    import faster_whisper.transcribe
    import whisperx
    import whisperx.alignment
    import whisperx.asr
    import whisperx.audio

    torchaudio_src = sources["torchaudio"].root
    taf = sys.modules["torchaudio"].functional
    for name in ("forced_align", "merge_tokens"):
        call = f"torchaudio.functional.{name}"
        file = os.path.join(torchaudio_src, "torchaudio", "functional", "_alignment.py") if torchaudio_src else ""
        if file and os.path.exists(file):
            signature, where = ast_signature(file, name), ast_where(report, file, name)
            result: Callable[..., Any] = (lambda *a, **k: (native_stubs.Stub(), native_stubs.Stub())) if name == "forced_align" else (lambda *a, **k: [])

            def recorder(*args: Any, _call: str = call, _sig: inspect.Signature = signature, _where: str = where, _result: Callable[..., Any] = result, **kwargs: Any) -> Any:
                report.bind(_call, _where, _sig, args, kwargs)
                return _result()

            setattr(taf, name, recorder)
        else:
            report.skip(call, "pytorch/audio src/torchaudio/functional/_alignment.py", "torchaudio source not in DIR")

    ctor = "WhisperXBackend() (the worker's constructor)"
    report.row(ctor, "callscribe_worker/backends/whisperx_backend.py")
    for call, where in native_stubs.CT2_CALLS.items():
        report.row(call, where).expects_calls = True
    spy(report, whisperx, "load_model", "whisperx.load_model (the lazy wrapper in __init__.py)")
    spy(report, whisperx.asr, "load_model", "whisperx.asr.load_model (the real loader)")
    spy(report, faster_whisper.transcribe.WhisperModel, "__init__", "faster_whisper.WhisperModel(...) (in asr.load_model)")
    spy(report, faster_whisper.transcribe.TranscriptionOptions, "__init__", "faster_whisper TranscriptionOptions(...) (in asr.load_model)")
    spy(report, whisperx.asr.FasterWhisperPipeline, "__init__", "whisperx FasterWhisperPipeline(...) (in asr.load_model)")
    spy(report, whisperx.audio, "mel_filters", "whisperx.audio.mel_filters")
    spy(report, faster_whisper.transcribe.WhisperModel, "get_prompt", "faster_whisper WhisperModel.get_prompt")
    spy(report, faster_whisper.tokenizer.Tokenizer, "__init__", "faster_whisper.tokenizer.Tokenizer(...)")
    spy(report, faster_whisper.tokenizer.Tokenizer, "decode", "faster_whisper Tokenizer.decode")
    spy(report, whisperx, "load_align_model", "whisperx.load_align_model (what the worker calls)")
    spy(report, whisperx.alignment, "load_align_model", "whisperx.alignment.load_align_model", returns=align_model_stand_in(report, sources, ext))

    os.environ.update({"WHISPERX_MODEL": model_dir, "WHISPERX_LOCAL_FILES_ONLY": "1", "WHISPERX_BEAM_SIZE": "5"})
    from callscribe_worker.backends.whisperx_backend import WhisperXBackend

    try:
        backend = WhisperXBackend()
    except Exception as exc:
        report.fail(ctor, "callscribe_worker/backends/whisperx_backend.py", f"{type(exc).__name__}: {exc}")
        for call, row in report.rows.items():
            if row.status == OK and not row.calls and not call.startswith("torchaudio"):
                row.status, row.detail = FAIL, "not reached: the constructor failed first"
        report.fail("decode options = whisperX generate_segment_batched's", "whisperx/whisperx/asr.py", "not reached: the constructor failed first")
        check_whisperx_direct(report, whisperx)
        return
    # The options the worker reads off the pipeline are faster-whisper TranscriptionOptions fields.
    options = backend._pipeline.options
    for name in ("without_timestamps", "prefix", "hotwords", "beam_size", "patience", "length_penalty", "suppress_blank",
                 "suppress_tokens", "no_repeat_ngram_size", "repetition_penalty"):
        if not hasattr(options, name):
            report.fail("TranscriptionOptions fields the worker reads", report.where(faster_whisper.transcribe.TranscriptionOptions), f"no field {name!r}")
    report.row("TranscriptionOptions fields the worker reads", report.where(faster_whisper.transcribe.TranscriptionOptions))
    if not isinstance(getattr(backend._model, "max_length", None), int):
        report.fail("faster_whisper WhisperModel.max_length", report.where(faster_whisper.transcribe.WhisperModel.__init__), "not set by __init__")
    report.row("faster_whisper WhisperModel.max_length", report.where(faster_whisper.transcribe.WhisperModel.__init__))

    batch = "WhisperXBackend.transcribe_batch (one batch: en, detect, ja; word times)"
    ext.batch_hint[0] = 3
    try:
        results = backend.transcribe_batch([CHUNK, CHUNK, CHUNK], ["en", "", "ja"], True)
        if len(results) != 3:
            report.fail(batch, "callscribe_worker/backends/whisperx_backend.py", f"{len(results)} results for 3 chunks")
        report.row(batch, "callscribe_worker/backends/whisperx_backend.py")
    except Exception as exc:
        report.fail(batch, "callscribe_worker/backends/whisperx_backend.py", f"{type(exc).__name__}: {exc}")
        traceback.print_exc(file=sys.stderr)
        return
    check_generate_options(report, whisperx.asr)


# Options whisperX passes that the worker leaves out on purpose: it reads no scores.
GENERATE_OPTIONS_NOT_NEEDED = {"return_scores"}


def check_generate_options(report: Report, asr: Any) -> None:
    """The worker's decode loop is whisperX's `generate_segment_batched` with one prompt per item, so
    it must pass CTranslate2 the same decoding options: an option whisperX adds in a later release
    would otherwise be silently missing here."""
    call = "decode options = whisperX generate_segment_batched's"
    method = asr.WhisperModel.generate_segment_batched
    file = inspect.getsourcefile(method) or ""
    with open(file, encoding="utf-8") as fh:
        tree = ast.parse(fh.read())
    theirs: Optional[ast.Call] = None
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name == "generate_segment_batched":
            theirs = next((n for n in ast.walk(node) if isinstance(n, ast.Call) and ast.unparse(n.func) == "self.model.generate"), None)
    where = f"{os.path.relpath(file, report.dir)}:{theirs.lineno if theirs else '?'}"
    ours = report.rows.get("ctranslate2 Whisper.generate")
    if theirs is None or ours is None or not ours.calls:
        report.fail(call, where, "no self.model.generate call in generate_segment_batched, or the worker made none")
        return
    missing = {k.arg for k in theirs.keywords if k.arg} - set(ours.last_kwargs) - GENERATE_OPTIONS_NOT_NEEDED
    report.row(call, where)
    if missing:
        report.fail(call, where, f"whisperX passes {sorted(missing)} and the worker does not")


def check_whisperx_direct(report: Report, whisperx: Any) -> None:
    """When the constructor fails before loading: do the arguments loader_args builds from the real
    `whisperx.asr.load_model` (not the wrapper) bind to it? Says whether inspecting the right function fixes it."""
    from callscribe_worker.loader_args import whisperx_load_model_kwargs

    call = "whisperx.asr.load_model, kwargs built from its own signature"
    real = inspect.unwrap(whisperx.asr.load_model)
    where = report.where(real)
    try:
        kwargs = whisperx_load_model_kwargs(real, "large-v2", "cuda", "float16", object(), asr_options={"beam_size": 5})
    except Exception as exc:
        report.fail(call, where, f"{type(exc).__name__}: {exc}")
        return
    report.bind(call, where, inspect.signature(real), (), kwargs)


def align_model_stand_in(report: Report, sources: Dict[str, Source], ext: Any) -> Callable[..., Any]:
    """What `load_align_model` returns, in its real shape (alignment.py: `(model, {"language",
    "dictionary", "type"})`), for when its body cannot run here (torchaudio/transformers are natives)."""
    tf_src = sources["transformers"].root
    ta_src = sources["torchaudio"].root

    class Lengths(native_stubs.Stub):
        def __init__(self, n: int) -> None:
            self._n = n

        def tolist(self) -> List[int]:
            return [49] * self._n

    def make(*args: Any, **kwargs: Any) -> Any:
        language = kwargs.get("language_code", args[0] if args else "en")
        kind = "torchaudio" if language in ("en", "fr", "de", "es", "it") else "huggingface"
        dictionary = {c: i for i, c in enumerate(["-", "|"] + list("etaoinshrdlcumwfgypbvkjxqz'"))}
        if kind == "huggingface":
            dictionary = {"<pad>": 0, **{k: v + 1 for k, v in dictionary.items()}}

        class Model:
            def __call__(self, *a: Any, **k: Any) -> Any:
                n = ext.batch_hint[0]
                if kind == "torchaudio":
                    call = "torchaudio Wav2Vec2Model.forward (alignment, en)"
                    file = os.path.join(ta_src, "torchaudio", "models", "wav2vec2", "model.py") if ta_src else ""
                    if file and os.path.exists(file):
                        report.bind(call, ast_where(report, file, "Wav2Vec2Model.forward"), ast_signature(file, "Wav2Vec2Model.forward"), (self, *a), k)
                    else:
                        report.skip(call, "pytorch/audio src/torchaudio/models/wav2vec2/model.py", "torchaudio source not in DIR")
                    return native_stubs.Stub(), Lengths(n)
                call = "transformers Wav2Vec2ForCTC.forward (alignment, other languages)"
                file = os.path.join(tf_src, "transformers", "models", "wav2vec2", "modeling_wav2vec2.py") if tf_src else ""
                if file and os.path.exists(file):
                    report.bind(call, ast_where(report, file, "Wav2Vec2ForCTC.forward"), ast_signature(file, "Wav2Vec2ForCTC.forward"), (self, *a), k)
                else:
                    report.skip(call, "huggingface/transformers src/transformers/models/wav2vec2/modeling_wav2vec2.py", "transformers source not in DIR")
                return native_stubs.Stub()

            def _get_feat_extract_output_lengths(self, *a: Any, **k: Any) -> Any:
                call = "transformers Wav2Vec2PreTrainedModel._get_feat_extract_output_lengths"
                file = os.path.join(tf_src, "transformers", "models", "wav2vec2", "modeling_wav2vec2.py") if tf_src else ""
                qual = "Wav2Vec2PreTrainedModel._get_feat_extract_output_lengths"
                if file and os.path.exists(file):
                    report.bind(call, ast_where(report, file, qual), ast_signature(file, qual), (self, *a), k)
                else:
                    report.skip(call, "huggingface/transformers src/transformers/models/wav2vec2/modeling_wav2vec2.py", "transformers source not in DIR")
                return Lengths(ext.batch_hint[0])

        return Model(), {"language": language, "dictionary": dictionary, "type": kind}

    return make


# ---- pyannote.audio -------------------------------------------------------------------------------

def check_pyannote(report: Report) -> None:
    from pyannote.audio import Pipeline
    from pyannote.audio.pipelines.speaker_diarization import DiarizeOutput, SpeakerDiarization
    from pyannote.core import Annotation, Segment

    apply_sig = inspect.signature(SpeakerDiarization.apply)
    call_sig = inspect.signature(Pipeline.__call__)
    to_sig = inspect.signature(Pipeline.to)

    class PipelineStandIn:
        """What from_pretrained returns, without the hub: each use binds to SpeakerDiarization's real methods."""

        embedding_batch_size = 1
        segmentation_batch_size = 1

        def to(self, *a: Any, **k: Any) -> Any:
            report.bind("pyannote Pipeline.to", report.where(Pipeline.to), to_sig, (self, *a), k)
            return self

        def __call__(self, *a: Any, **k: Any) -> Any:
            report.bind("pyannote Pipeline.__call__ (the diarize call)", report.where(Pipeline.__call__), call_sig, (self, *a), k)
            report.bind("pyannote SpeakerDiarization.apply (its keyword arguments)", report.where(SpeakerDiarization.apply), apply_sig, (self, *a), k, strict=True)
            turns = Annotation()
            turns[Segment(0.0, 1.0)] = "SPEAKER_00"
            turns[Segment(1.0, 2.0)] = "SPEAKER_01"
            return DiarizeOutput(speaker_diarization=turns, exclusive_speaker_diarization=turns)

    spy(report, Pipeline, "from_pretrained", "pyannote Pipeline.from_pretrained", run=False, returns=lambda *a, **k: PipelineStandIn())
    attrs = "SpeakerDiarization batch-size attributes"
    init = inspect.signature(SpeakerDiarization.__init__).parameters
    for name in ("embedding_batch_size", "segmentation_batch_size"):
        if name not in init and not isinstance(inspect.getattr_static(SpeakerDiarization, name, None), property):
            report.fail(attrs, report.where(SpeakerDiarization.__init__), f"{name} is neither a constructor parameter nor a property")
    report.row(attrs, report.where(SpeakerDiarization.__init__))

    os.environ.update({"HF_TOKEN": "hf_not_a_real_token", "PYANNOTE_EMBEDDING_BATCH_SIZE": "32", "PYANNOTE_SEGMENTATION_BATCH_SIZE": "32", "PYANNOTE_DEVICE": "cuda"})
    from callscribe_worker.diarizers.pyannote_backend import PyannoteDiarizer

    where = "callscribe_worker/diarizers/pyannote_backend.py"
    try:
        diarizer = PyannoteDiarizer()
        turns = diarizer.diarize(np.concatenate([CHUNK, CHUNK]), [(0.0, 4.0)], 1, 3)
        labels = sorted({t.speaker if hasattr(t, "speaker") else t[2] for t in turns})
        if len(turns) != 2:
            report.fail("PyannoteDiarizer() and diarize()", where, f"{len(turns)} turns from a 2-turn DiarizeOutput ({labels})")
        report.row("PyannoteDiarizer() and diarize()", where)
    except Exception as exc:
        report.fail("PyannoteDiarizer() and diarize()", where, f"{type(exc).__name__}: {exc}")
        traceback.print_exc(file=sys.stderr)


# ---- transformers (read, not imported) ------------------------------------------------------------

@dataclass
class WorkerCall:
    """One call in the worker's source: how many positional arguments, which keywords, and whether
    it spreads a **dict (whose keys the checker supplies from the worker's own argument builders)."""

    line: int
    positional: int
    keywords: List[str]
    spread: bool


def worker_calls(file: str, callee: str) -> List[WorkerCall]:
    """Calls in `file` whose function is spelt `callee` (`WhisperConfig`, `WhisperProcessor.from_pretrained`)
    or ends with `.callee` (`self._model.detect_language` for `detect_language`)."""
    with open(file, encoding="utf-8") as fh:
        tree = ast.parse(fh.read())
    out: List[WorkerCall] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = ast.unparse(node.func)
        if name == callee or name.endswith("." + callee):
            out.append(WorkerCall(node.lineno, len(node.args), [k.arg for k in node.keywords if k.arg], any(k.arg is None for k in node.keywords)))
    return out


# (what the worker spells, the transformers file under src/transformers, the definition it reaches, self/cls passed)
HF_CALLS: List[Tuple[str, str, str, bool]] = [
    ("WhisperProcessor.from_pretrained", "processing_utils.py", "ProcessorMixin.from_pretrained", True),
    ("WhisperForConditionalGeneration.from_pretrained", "modeling_utils.py", "PreTrainedModel.from_pretrained", True),
    ("WhisperConfig", "models/whisper/configuration_whisper.py", "WhisperConfig.__init__", True),
    ("WhisperForConditionalGeneration", "models/whisper/modeling_whisper.py", "WhisperForConditionalGeneration.__init__", True),
    ("WhisperFeatureExtractor", "models/whisper/feature_extraction_whisper.py", "WhisperFeatureExtractor.__init__", True),
    ("self._features", "models/whisper/feature_extraction_whisper.py", "WhisperFeatureExtractor.__call__", True),
    ("detect_language", "models/whisper/generation_whisper.py", "WhisperGenerationMixin.detect_language", True),
    ("self._tokenizer.decode", "tokenization_utils_base.py", "PreTrainedTokenizerBase.decode", True),
]


def check_transformers(report: Report, sources: Dict[str, Source]) -> None:
    """The hf backend's calls, as written in hf_whisper.py, bound to transformers' definitions read
    from source; generate's keywords come from the worker's own builder (loader_args.hf_generate_kwargs)."""
    from callscribe_worker.loader_args import hf_dtype_kwarg, hf_generate_kwargs

    root = sources["transformers"].root
    hf = os.path.join(WORKER, "callscribe_worker", "backends", "hf_whisper.py")

    def target(rel: str) -> str:
        return os.path.join(root, "transformers", rel) if root else ""

    for spelt, rel, qual, bound in HF_CALLS:
        calls = worker_calls(hf, spelt)
        call = f"transformers {qual} (hf_whisper.py: {spelt})"
        path = target(rel)
        if not calls:
            report.fail(call, "callscribe_worker/backends/hf_whisper.py", f"the worker no longer calls {spelt}: update HF_CALLS")
            continue
        if not path or not os.path.exists(path):
            report.skip(call, f"huggingface/transformers src/transformers/{rel}", "transformers source not in DIR")
            continue
        try:
            signature, where = ast_signature(path, qual), ast_where(report, path, qual)
        except LookupError as exc:
            report.fail(call, os.path.relpath(path, report.dir), str(exc))
            continue
        for c in calls:
            kwargs: Dict[str, Any] = {k: "<arg>" for k in c.keywords}
            if c.spread and spelt.endswith("from_pretrained"):
                kwargs.update(hf_dtype_kwarg(lambda **kw: None, "float16"))
            if c.spread and spelt == "self._features":
                kwargs["device"] = "cuda"  # only passed where __call__ names it; binding says whether it does
            report.bind(call, where, signature, ("<self>",) * bound + ("<arg>",) * c.positional, kwargs)

    gen = target("models/whisper/generation_whisper.py")
    qual = "WhisperGenerationMixin.generate"
    variants = {
        "measurement (random weights)": hf_generate_kwargs(None, True, 96, measurement=True),
        "languages per item, word times": hf_generate_kwargs(["en", "de"], False, 444, word_timestamps=True),
        "English-only model": hf_generate_kwargs(None, True, 446),
    }
    for label, kwargs in variants.items():
        call = f"transformers {qual} ({label})"
        if gen and os.path.exists(gen):
            report.bind(call, ast_where(report, gen, qual), ast_signature(gen, qual), ("<self>", "<features>"), kwargs)
        else:
            report.skip(call, "huggingface/transformers src/transformers/models/whisper/generation_whisper.py", "transformers source not in DIR")


# ---- main -----------------------------------------------------------------------------------------

def main(argv: List[str]) -> int:
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 64
    report = Report(os.path.abspath(argv[1]))
    sources = read_sources(report.dir, argv[2])
    print("upstream sources:")
    for src in sources.values():
        state = f"{src.tag} ({src.use})" if src.root else "not in DIR: its rows say SKIP"
        print(f"  {src.folder:<18} {src.repo:<28} {state}")
    for src in sources.values():
        if src.root and src.use == "import":
            sys.path.insert(0, src.root)
    sys.path.insert(0, write_dist_info(sources))
    sys.path.insert(0, WORKER)
    ext = native_stubs.ctranslate2_ext(report.bind)
    finder = native_stubs.install(report.dir, {"ctranslate2._ext": ext, "tokenizers": native_stubs.tokenizers_module()})
    # The worker takes the GPU path (cuda, float16) as it does in the image.
    torch = sys.modules.get("torch") or __import__("torch")
    torch.cuda.is_available = lambda: True
    os.environ.setdefault("PYANNOTE_METRICS_ENABLED", "false")

    model_dir = tempfile.mkdtemp(prefix="callscribe-upstream-model-")  # a local CTranslate2 model folder
    missing = [f for f in ("whisperx", "faster-whisper", "ctranslate2") if not sources[f].root]
    if missing:
        report.skip("whisperX backend", "-", "source not in DIR: " + ", ".join(missing))
    else:
        try:
            check_whisperx(report, sources, ext, model_dir)
        except Exception as exc:
            report.fail("whisperX backend (import)", "-", f"{type(exc).__name__}: {exc}")
            traceback.print_exc(file=sys.stderr)
    missing = [f for f in ("pyannote-audio", "pyannote-core", "pyannote-pipeline", "huggingface-hub") if not sources[f].root]
    if missing:
        report.skip("pyannote diarizer", "-", "source not in DIR: " + ", ".join(missing))
    else:
        try:
            check_pyannote(report)
        except Exception as exc:
            report.fail("pyannote diarizer (import)", "-", f"{type(exc).__name__}: {exc}")
            traceback.print_exc(file=sys.stderr)
    check_transformers(report, sources)

    print(f"\nstood in for (compiled): {', '.join(sorted(finder.native_used)) or '-'}")
    print(f"stood in for (pure Python, source not in DIR): {', '.join(sorted(finder.absent_used)) or '-'}\n")
    for row in report.rows.values():
        if row.status == OK and row.expects_calls and not row.calls:
            row.status, row.detail = UNUSED, "the worker did not call it on this path"
    width = max(len(r.call) for r in report.rows.values())
    for row in report.rows.values():
        calls = f"{row.calls} call(s)" if row.calls else ""
        print(f"{row.status:<4}  {row.call:<{width}}  {row.where}  {calls}".rstrip())
        if row.detail:
            print(f"      {row.detail}")
    statuses = [r.status for r in report.rows.values()]
    print(f"\n{statuses.count(OK)} ok, {statuses.count(FAIL)} FAIL, {statuses.count(SKIP)} SKIP, {statuses.count(UNUSED)} not called")
    if FAIL in statuses:
        return 1
    return 2 if SKIP in statuses else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
