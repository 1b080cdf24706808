"""Vets this host for one engine: python -m callscribe_worker.doctor --engine sphinx|whisperx|hf [--diarizer D] [--jsonl]

One row per check (ok, FAIL with the fix, or skip with why), in the order a new host fails them: the
interpreter and the packages, the GPUs, cuDNN, the Hugging Face token and the gated models, the model
through the worker's own backend constructor, one tiny batch of synthetic audio, the English
alignment model, the diarizer. Only the standard library is imported up front, so a missing numpy is
a row too. With --jsonl every check is announced by a "start" line before it runs: a native call that
hangs cannot be interrupted from Python, so the transcriber's `doctor` stops this process and names
the check that hung.
"""
from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import time
from dataclasses import asdict, dataclass
from functools import partial
from importlib import metadata
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

from . import doctor_cudnn
from .doctor_hub import Outcome, fail, hub_access, ok, token_row
from .loader_args import PYANNOTE_PIPELINE_4

GPU_IMAGE = "or run the GPU image (docker/transcriber-gpu.Dockerfile), which has the whole pinned set"
# module -> (distribution, how to get it); pins as docker/transcriber-gpu.Dockerfile has them.
PACKAGES: Dict[str, Tuple[str, str]] = {
    "numpy": ("numpy", "apt-get install python3-numpy (Debian), or pip install numpy"),
    "scipy": ("scipy", "apt-get install python3-scipy (Debian), or pip install scipy"),
    "pocketsphinx": ("pocketsphinx", "apt-get install python3-pocketsphinx pocketsphinx-en-us (Debian) and use /usr/bin/python3"),
    "ctranslate2": ("ctranslate2", "pip install ctranslate2==4.6.0"),
    "faster_whisper": ("faster-whisper", "pip install faster-whisper==1.2.1"),
    "torch": ("torch", "pip install torch==2.8.0 torchaudio==2.8.0 --extra-index-url https://download.pytorch.org/whl/cu128"),
    "torchaudio": ("torchaudio", "pip install torchaudio==2.8.0 --extra-index-url https://download.pytorch.org/whl/cu128"),
    "whisperx": ("whisperx", "pip install whisperx==3.8.4"),
    "pyannote.audio": ("pyannote.audio", "pip install pyannote.audio==4.0.1"),
    "transformers": ("transformers", 'pip install torch "transformers>=4.57"'),
}
# In the order the worker imports them (ctranslate2 before torch, as whisperx_backend.py does).
ENGINE_PACKAGES = {
    "sphinx": ["numpy", "pocketsphinx"],
    "whisperx": ["numpy", "ctranslate2", "faster_whisper", "torch", "torchaudio", "whisperx", "pyannote.audio"],
    "hf": ["numpy", "torch", "transformers"],
}
DIARIZER_PACKAGES = {"spectral": ["numpy", "scipy"], "pyannote": ["numpy", "torch", "pyannote.audio"], "none": []}
SPHINX_FILES = ("en-us", "en-us.lm.bin", "cmudict-en-us.dict")
GPU_ENGINES = ("whisperx", "hf")
DEVICE_SETTING = {"whisperx": "WHISPERX_DEVICE", "hf": "HF_WHISPER_DEVICE"}
SAMPLE_RATE = 16000
CUDNN_PROBE_TIMEOUT_S = 25.0


@dataclass
class Row:
    check: str
    status: str
    detail: str
    fix: str = ""
    ms: float = 0.0


def skip(why: str) -> Outcome:
    return "skip", why, ""


def synthetic_speech(seconds: float, f0: float, seed: int) -> Any:
    """Voiced-speech-like audio: a harmonic buzz with a wandering pitch, cut into ~4 syllables a second."""
    import numpy as np

    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    pitch = f0 * (1.0 + 0.1 * np.sin(2 * np.pi * 1.3 * t))
    phase = 2 * np.pi * np.cumsum(pitch) / SAMPLE_RATE
    voice = sum(np.sin(k * phase) / k for k in range(1, 12))
    syllables = np.clip(np.sin(2 * np.pi * 4.0 * t), 0.0, None)
    noise = np.random.default_rng(seed).normal(0.0, 0.01, t.size)
    audio = voice * syllables + noise
    return (0.3 * audio / np.max(np.abs(audio))).astype(np.float32)


class Doctor:
    def __init__(self, engine: str, diarizer: str, env: Mapping[str, str]) -> None:
        self.engine = engine
        self.diarizer = diarizer
        self.env = env
        self.missing: List[str] = []
        self.cuda = False
        self.backend: Any = None

    def plan(self) -> List[Tuple[str, Callable[[], Outcome]]]:
        steps: List[Tuple[str, Callable[[], Outcome]]] = [("python", self.python)]
        for module in dict.fromkeys(ENGINE_PACKAGES[self.engine] + DIARIZER_PACKAGES[self.diarizer]):
            steps.append((f"package {module}", partial(self.package, module)))
        if self.engine == "sphinx":
            steps.append(("sphinx model", self.sphinx_model))
        steps += [
            ("gpu (torch)", self.gpu), ("cudnn", self.cudnn), ("hf token", self.hf_token), ("gated models", self.gated_models),
            ("model", self.model), ("decode", self.decode), ("alignment en", self.alignment), ("diarization", self.diarization),
        ]
        return steps

    def _needs(self, *modules: str) -> Optional[str]:
        gone = [m for m in modules if m in self.missing]
        return f"needs {', '.join(gone)} (see the package rows)" if gone else None

    def python(self) -> Outcome:
        version = ".".join(map(str, sys.version_info[:3]))
        if sys.version_info < (3, 9):
            return fail(f"Python {version} at {sys.executable}; the worker needs 3.9 or newer", "point --python / CALLSCRIBE_PYTHON at a newer interpreter")
        return ok(f"Python {version} at {sys.executable}")

    def package(self, module: str) -> Outcome:
        dist, install = PACKAGES[module]
        try:
            importlib.import_module(module)
        except ImportError as exc:
            self.missing.append(module)
            return fail(f"{dist} is not installed for {sys.executable} ({exc})", f"{install}; {GPU_IMAGE}")
        except Exception as exc:  # installed but broken, typically a shared library it cannot load
            self.missing.append(module)
            return fail(f"{dist} is installed but does not import: {type(exc).__name__}: {exc}", f"reinstall it ({install}); {GPU_IMAGE}")
        try:
            version = metadata.version(dist)
        except metadata.PackageNotFoundError:  # Debian's packages may carry no dist-info
            version = "version unknown"
        return ok(f"{dist} {version}")

    def sphinx_model(self) -> Outcome:
        model_dir = self.env.get("SPHINX_MODEL_DIR", "/usr/share/pocketsphinx/model/en-us")
        absent = [name for name in SPHINX_FILES if not os.path.exists(os.path.join(model_dir, name))]
        if absent:
            return fail(f"{', '.join(absent)} missing from {model_dir}", "apt-get install pocketsphinx-en-us (Debian), or set SPHINX_MODEL_DIR")
        return ok(f"US English model in {model_dir}")

    def _device_setting(self) -> Tuple[str, str]:
        name = DEVICE_SETTING.get(self.engine, "")
        return name, self.env.get(name, "") if name else ""

    def gpu(self) -> Outcome:
        setting, device = self._device_setting()
        if self.engine not in GPU_ENGINES and self.diarizer != "pyannote":
            return skip(f"the {self.engine} engine and the {self.diarizer} diarizer run on the CPU")
        if device and not device.startswith("cuda"):
            return skip(f"{setting}={device}: the engine runs on the CPU on purpose")
        need = self._needs("torch")
        if need:
            return skip(need)
        import torch

        if not torch.cuda.is_available():
            return fail(
                f"torch {torch.__version__} sees no CUDA device (built for CUDA {torch.version.cuda}); the engine would run on the CPU, many times slower",
                "give the container the GPUs (compose: deploy.resources.reservations.devices; docker run --gpus all) and check nvidia-smi on the host; "
                f"or set {setting or 'the device setting'}=cpu to run on the CPU on purpose",
            )
        self.cuda = True
        devices = []
        for i in range(torch.cuda.device_count()):
            free, total = torch.cuda.mem_get_info(i)
            devices.append(f"{i}: {torch.cuda.get_device_name(i)} {total / 2**30:.1f} GiB ({free / 2**30:.1f} GiB free)")
        return ok(f"torch {torch.__version__}, CUDA {torch.version.cuda}; " + "; ".join(devices))

    def cudnn(self) -> Outcome:
        if self.engine not in GPU_ENGINES:
            return skip(f"the {self.engine} engine does not use cuDNN")
        if not self.cuda:
            return skip("no CUDA device (see the gpu row)")
        if self.engine == "hf":
            view = doctor_cudnn.probe_in_child("torch", CUDNN_PROBE_TIMEOUT_S)
            if view.error:
                return fail(f"torch cannot use cuDNN: {view.error}", "reinstall torch from the cu128 index; check LD_LIBRARY_PATH")
            return ok(f"torch loads cuDNN {doctor_cudnn.version_text(view.version)} from {', '.join(doctor_cudnn.lib_dirs(view.libs))}")
        views = [doctor_cudnn.probe_in_child(kind, CUDNN_PROBE_TIMEOUT_S) for kind in doctor_cudnn.PROBES]
        passed, detail, fix = doctor_cudnn.verdict(*views)
        return ok(detail) if passed else fail(detail, fix)

    def _checkpoint(self) -> str:
        configured = self.env.get("PYANNOTE_PIPELINE", "")
        if configured or "pyannote.audio" in self.missing:
            return configured or PYANNOTE_PIPELINE_4
        from pyannote.audio import Pipeline

        from .loader_args import pyannote_default_pipeline

        return pyannote_default_pipeline(Pipeline.from_pretrained)

    def hf_token(self) -> Outcome:
        if self.diarizer != "pyannote":
            return skip(f"no gated model is used (engine {self.engine}, diarizer {self.diarizer})")
        checkpoint = self._checkpoint()
        if os.path.exists(checkpoint):
            return skip(f"PYANNOTE_PIPELINE is a local path ({checkpoint}): no token needed")
        return token_row(self.env, checkpoint)

    def gated_models(self) -> Outcome:
        if self.diarizer != "pyannote":
            return skip(f"no gated model is used (diarizer {self.diarizer})")
        checkpoint = self._checkpoint()
        if os.path.exists(checkpoint):
            return skip(f"PYANNOTE_PIPELINE is a local path ({checkpoint})")
        offline = self.env.get("HF_HUB_OFFLINE", "")
        if offline not in ("", "0"):
            return skip(f"HF_HUB_OFFLINE={offline}: not checked online; the diarization row loads the pipeline from the cache")
        token = self.env.get("HF_TOKEN", "").strip()
        if not token:
            return skip("no HF_TOKEN (see the hf token row)")
        endpoint = self.env.get("HF_ENDPOINT", "https://huggingface.co")
        details = []
        for repo in dict.fromkeys([checkpoint, PYANNOTE_PIPELINE_4]):
            status, detail, fix = hub_access(endpoint, repo, token)
            if status != "ok":
                return status, detail, fix
            details.append(detail)
        return ok("; ".join(details))

    def model(self) -> Outcome:
        need = self._needs(*ENGINE_PACKAGES[self.engine])
        if need:
            return skip(need)
        from .backends import BackendLoadError, load_backend

        started = time.perf_counter()
        try:
            self.backend = load_backend(self.engine)
        except BackendLoadError as exc:
            return fail(str(exc), "the message says what is missing; the rows above say which part of the host")
        except Exception as exc:
            return fail(
                f"the {self.engine} backend constructor raised {type(exc).__name__}: {exc}",
                "the installed packages do not match what the worker is written against: compare the package rows with the pins in "
                "docker/transcriber-gpu.Dockerfile (docs/upstream-checks.md)",
            )
        info = self.backend.info
        return ok(f"{info.backend} {info.model} on {info.device} ({info.compute_type}), loaded in {time.perf_counter() - started:.1f} s")

    def decode(self) -> Outcome:
        if self.backend is None:
            return skip("no model loaded (see the model row)")
        chunks = [synthetic_speech(1.0, 120.0, 1), synthetic_speech(2.0, 210.0, 2)]
        seconds = sum(len(c) for c in chunks) / SAMPLE_RATE
        started = time.perf_counter()
        results = self.backend.transcribe_batch(chunks, ["en"] * len(chunks), False)
        elapsed = time.perf_counter() - started
        if len(results) != len(chunks):
            return fail(f"the engine answered {len(results)} results for {len(chunks)} chunks", "a bug in the backend: report it with this output")
        return ok(f"{len(chunks)} chunks ({seconds:.1f} s of synthetic audio) decoded in {elapsed:.2f} s ({seconds / max(elapsed, 1e-6):.0f}x real time)")

    def alignment(self) -> Outcome:
        if self.engine != "whisperx":
            return skip(f"the {self.engine} engine times words itself")
        if self.env.get("WHISPERX_ALIGN", "1") == "0":
            return skip("WHISPERX_ALIGN=0: word times are off")
        need = self._needs("torch", "whisperx")
        if need:
            return skip(need)
        import torch
        import whisperx

        device = self.backend.info.device if self.backend is not None else ("cuda" if self.cuda else "cpu")
        started = time.perf_counter()
        model, meta = whisperx.load_align_model(language_code="en", device=device, model_dir=self.env.get("WHISPERX_ALIGN_MODEL_DIR") or None)
        loaded = time.perf_counter() - started
        with torch.inference_mode():
            out = model(torch.from_numpy(synthetic_speech(1.0, 150.0, 3))[None].to(device))
        emissions = out[0] if isinstance(out, tuple) else out.logits
        return ok(f"{meta.get('type', '?')} model for en loaded in {loaded:.1f} s; 1 s of audio gives {emissions.shape[1]} frames")

    def diarization(self) -> Outcome:
        if self.diarizer == "none":
            return skip("no diarizer (DIARIZER_BACKEND=none)")
        need = self._needs(*DIARIZER_PACKAGES[self.diarizer])
        if need:
            return skip(need)
        import numpy as np

        from .backends import BackendLoadError, load_diarizer

        started = time.perf_counter()
        try:
            diarizer = load_diarizer(self.diarizer)
        except BackendLoadError as exc:
            return fail(str(exc), "the message says what is missing")
        loaded = time.perf_counter() - started
        audio = np.concatenate([synthetic_speech(2.0, 110.0, 4), synthetic_speech(2.0, 230.0, 5)])
        started = time.perf_counter()
        turns = diarizer.diarize(audio, [(0.0, 4.0)], 0, 0)
        return ok(f"{self.diarizer} loaded in {loaded:.1f} s; 4 s of synthetic audio diarized in {time.perf_counter() - started:.2f} s ({len(turns)} turns)")


def run(doctor: Doctor, emit: Callable[[Dict[str, Any]], None]) -> bool:
    """Runs every check in order; True when none failed."""
    steps = doctor.plan()
    emit({"plan": [name for name, _ in steps]})
    passed = True
    for name, step in steps:
        emit({"start": name})
        started = time.perf_counter()
        try:
            status, detail, fix = step()
        except Exception as exc:  # one check's surprise must not hide the rows after it
            status, detail, fix = "fail", f"{type(exc).__name__}: {exc}", "an unexpected error in this check; the message names its cause"
        passed = passed and status != "fail"
        emit(asdict(Row(name, status, detail, fix, round((time.perf_counter() - started) * 1000.0, 1))))
    return passed


def text_line(message: Dict[str, Any]) -> str:
    if "status" not in message:
        return ""
    label = {"ok": "ok", "fail": "FAIL", "skip": "skip"}[message["status"]]
    line = f"{label:<5} {message['check']:<24} {message['detail']}"
    return line + (f"\n{'':<30}fix: {message['fix']}" if message["fix"] else "")


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="callscribe_worker.doctor")
    parser.add_argument("--engine", choices=sorted(ENGINE_PACKAGES), default=os.environ.get("CALLSCRIBE_BACKEND", "sphinx"))
    parser.add_argument("--diarizer", choices=sorted(DIARIZER_PACKAGES), default=os.environ.get("DIARIZER_BACKEND", "spectral"))
    parser.add_argument("--jsonl", action="store_true", help="one JSON object a line (what the transcriber's doctor reads)")
    parser.add_argument("--probe-cudnn", choices=doctor_cudnn.PROBES, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.probe_cudnn:
        return doctor_cudnn.print_probe(args.probe_cudnn)
    out = os.fdopen(os.dup(1), "w")
    # Libraries print (some from C, to fd 1): everything but the rows goes to stderr.
    os.dup2(2, 1)
    sys.stdout = sys.stderr

    def emit(message: Dict[str, Any]) -> None:
        line = json.dumps(message) if args.jsonl else text_line(message)
        if line:
            out.write(line + "\n")
            out.flush()

    return 0 if run(Doctor(args.engine, args.diarizer, os.environ), emit) else 1


if __name__ == "__main__":
    sys.exit(main())
