"""Which cuDNN torch loads and which one CTranslate2 loads, and whether the two clash (issue 18).

torch's pip wheel brings its own cuDNN (nvidia/cudnn/lib, found through its RUNPATH). CTranslate2's
wheels are built with CUDA_DYNAMIC_LOADING=ON (python/tools/prepare_build_environment_linux.sh at
v4.6.0): at its first convolution it dlopens libcudnn*.so.9 by name, so it gets whatever the dynamic
linker finds (LD_LIBRARY_PATH, then the ldconfig cache, where a cudnn CUDA image puts its system
copy), and cuDNN opens its sub-libraries (libcudnn_ops, libcudnn_cnn) by name the same way. Two
copies reachable means a worker can end up with parts of both: the failures of CTranslate2 issue
1826 and faster-whisper issue 1086. Each view is taken in a fresh interpreter, because a library once
mapped cannot be unloaded: `probe(kind)` runs there and prints one JSON line.
"""
from __future__ import annotations

import ctypes
import json
import os
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from typing import Iterable, List, Optional, Tuple

PROBES = ("torch", "ctranslate2", "worker")
# What CTranslate2 (and cuDNN itself) open by name at the first convolution.
CUDNN_SONAMES = ("libcudnn.so.9", "libcudnn_ops.so.9", "libcudnn_cnn.so.9")


@dataclass
class CudnnView:
    """What one process mapped: cuDNN's version (cudnnGetVersion) and the files it came from."""

    version: Optional[int] = None
    libs: List[str] = field(default_factory=list)
    error: str = ""


def version_text(version: Optional[int]) -> str:
    """cudnnGetVersion as x.y.z: MAJOR*10000+MINOR*100+PATCH since cuDNN 9, MAJOR*1000+MINOR*100+PATCH before."""
    if version is None:
        return "unknown"
    if version >= 90000:
        return f"{version // 10000}.{version % 10000 // 100}.{version % 100}"
    return f"{version // 1000}.{version % 1000 // 100}.{version % 100}"


def cudnn_libs(maps_lines: Iterable[str]) -> List[str]:
    """The distinct libcudnn*.so* files among /proc/self/maps lines, in first-mapped order."""
    seen: List[str] = []
    for line in maps_lines:
        parts = line.split(None, 5)
        path = parts[5].strip() if len(parts) == 6 else ""
        if os.path.basename(path).startswith("libcudnn") and ".so" in path and path not in seen:
            seen.append(path)
    return seen


def lib_dirs(libs: Iterable[str]) -> List[str]:
    dirs: List[str] = []
    for lib in libs:
        d = os.path.dirname(lib)
        if d not in dirs:
            dirs.append(d)
    return dirs


def verdict(torch_view: CudnnView, ct2_view: CudnnView, worker_view: CudnnView) -> Tuple[bool, str, str]:
    """(ok, detail, fix) for the cuDNN row, from the three views."""
    fix = (
        "use a CUDA runtime base image without cuDNN (e.g. nvidia/cuda:12.8.1-runtime-ubuntu22.04) and put torch's pip "
        "copies first: LD_LIBRARY_PATH=<site-packages>/nvidia/cudnn/lib:<site-packages>/nvidia/cublas/lib "
        "(faster-whisper's README; whisperX's CUDNN_TROUBLESHOOTING.md)"
    )
    for name, view in (("torch", torch_view), ("CTranslate2", ct2_view), ("the worker's import order", worker_view)):
        if view.error:
            return False, f"cuDNN check failed for {name}: {view.error}", fix
    torch_at = f"torch loads cuDNN {version_text(torch_view.version)} from {', '.join(lib_dirs(torch_view.libs)) or '?'}"
    ct2_at = f"CTranslate2 loads {version_text(ct2_view.version)} from {', '.join(lib_dirs(ct2_view.libs)) or '?'}"
    mixed = lib_dirs(worker_view.libs)
    if len(mixed) > 1:
        return False, f"two cuDNN copies mapped in one worker process ({'; '.join(mixed)}): {torch_at}; {ct2_at}", fix
    if torch_view.version is not None and ct2_view.version is not None and torch_view.version != ct2_view.version:
        return False, f"cuDNN clash: {torch_at}; {ct2_at}", fix
    if lib_dirs(torch_view.libs) and lib_dirs(ct2_view.libs) and lib_dirs(torch_view.libs) != lib_dirs(ct2_view.libs):
        return False, f"cuDNN clash (same version, two copies): {torch_at}; {ct2_at}", fix
    return True, f"{torch_at}; {ct2_at}; one copy in the worker", ""


def _own_libs() -> List[str]:
    with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
        return cudnn_libs(maps)


def _lib_version(libs: List[str]) -> Optional[int]:
    main = next((lib for lib in libs if os.path.basename(lib).startswith("libcudnn.so")), None)
    if main is None:
        return None
    try:
        return int(ctypes.CDLL(main).cudnnGetVersion())
    except (OSError, AttributeError):
        return None


def _torch_conv() -> Optional[int]:
    """Runs one cuDNN convolution so torch opens every cuDNN library it will use; its version."""
    import torch

    x = torch.zeros(1, 1, 16, device="cuda")
    torch.nn.functional.conv1d(x, torch.zeros(1, 1, 3, device="cuda"))
    torch.cuda.synchronize()
    version = torch.backends.cudnn.version()
    return int(version) if version else None


def probe(kind: str) -> CudnnView:
    """One view, in this process: 'torch' alone, 'ctranslate2' alone, or 'worker' (ctranslate2, then torch)."""
    view = CudnnView()
    try:
        if kind in ("ctranslate2", "worker"):
            import ctranslate2

            if ctranslate2.get_cuda_device_count() < 1:
                raise RuntimeError("CTranslate2 sees no CUDA device")
        if kind == "ctranslate2":
            # Nothing of cuDNN is mapped yet: open it by name, as CTranslate2 will.
            for soname in CUDNN_SONAMES:
                ctypes.CDLL(soname)
        if kind in ("torch", "worker"):
            view.version = _torch_conv()
        if kind == "worker":
            # Then what CTranslate2 asks for by name, after torch: the same copy, or a second one.
            for soname in CUDNN_SONAMES:
                try:
                    ctypes.CDLL(soname)
                except OSError:  # not on the search path: the soname torch loaded is all there is
                    pass
        view.libs = _own_libs()
        if kind == "ctranslate2":
            view.version = _lib_version(view.libs)
    except Exception as exc:  # the row reports it; a traceback helps nobody running doctor
        view.error = f"{type(exc).__name__}: {exc}"
    return view


def probe_in_child(kind: str, timeout_s: float) -> CudnnView:
    """`probe(kind)` in a fresh interpreter (this one), so no view sees another's libraries."""
    try:
        done = subprocess.run(
            [sys.executable, "-m", "callscribe_worker.doctor", "--probe-cudnn", kind],
            capture_output=True, text=True, timeout=timeout_s, check=False,
            cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
        )
    except subprocess.TimeoutExpired:
        return CudnnView(error=f"the {kind} probe did not finish within {timeout_s:.0f} s")
    for line in reversed(done.stdout.splitlines()):
        if line.startswith("{"):
            return CudnnView(**json.loads(line))
    last = (done.stderr.strip().splitlines() or ["no output"])[-1]
    return CudnnView(error=f"the {kind} probe exited with code {done.returncode}: {last}")


def print_probe(kind: str) -> int:
    out = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)  # what the libraries print goes to stderr; stdout carries the one JSON line
    out.write(json.dumps(asdict(probe(kind))) + "\n")
    out.flush()
    return 0
