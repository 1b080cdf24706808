"""Which GPU failures a worker survives, which it must die of.

Out of memory is local to one call: the allocation failed, the context is intact, a smaller batch
fits (items.py halves the batch). Any other CUDA, cuBLAS or cuDNN runtime error may be *sticky*: a
device-side assert or an illegal memory access leaves the CUDA context unusable, and every later
call in this process fails the same way, whatever its input. Catching it per item would keep a
dead worker up that fails every chunk sent to it, and the pool only replaces workers that exit. So
the worker exits with EXIT_DEVICE_ERROR without answering the request it held: the transcriber
restarts it (a fresh CUDA context) and retries that batch once on the next free worker
(docs/worker-protocol.md, Supervision).

Matched by class name and message, because this module must not import torch or ctranslate2:
- torch 2.8: `torch.OutOfMemoryError` (torch.cuda.OutOfMemoryError, a RuntimeError subclass),
  "CUDA out of memory. Tried to allocate ..."; other CUDA failures as RuntimeError (or its subclass
  `torch.AcceleratorError`) "CUDA error: device-side assert triggered", "CUDA error: an illegal
  memory access was encountered", "cuDNN error: CUDNN_STATUS_...", "CUDA error: CUBLAS_STATUS_...".
- CTranslate2 4.x (src/cuda/utils.h, CUDA_CHECK / CUBLAS_CHECK / CUDNN_CHECK): RuntimeError
  "CUDA failed with error <cudaGetErrorString>" ("... out of memory" for an allocation),
  "cuBLAS failed with status <name>", "cuDNN failed with status <name>".
"""
from __future__ import annotations

from typing import Iterator, Optional

# 3 is a failed load (a `fatal` frame); 4 a poisoned device. Both in docs/worker-protocol.md.
EXIT_DEVICE_ERROR = 4

_OOM_CLASSES = ("OutOfMemoryError",)
_OOM_TEXT = ("out of memory",)
_STICKY_CLASSES = ("AcceleratorError", "CudaError")
_STICKY_TEXT = (
    "cuda error",
    "device-side assert",
    "illegal memory access",
    "cuda failed with error",
    "cublas failed with status",
    "cudnn failed with status",
    "cudnn error",
    "cudnn_status_",
    "cublas_status_",
)


class DeviceError(RuntimeError):
    """The device is in an error state; only a new process can use it again."""


def _chain(exc: Optional[BaseException]) -> Iterator[BaseException]:
    """The exception and its causes: libraries re-raise CUDA failures wrapped in their own."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def is_out_of_memory(exc: BaseException) -> bool:
    return any(type(e).__name__ in _OOM_CLASSES or any(t in str(e).lower() for t in _OOM_TEXT) for e in _chain(exc))


def is_device_error(exc: BaseException) -> bool:
    """A CUDA/cuBLAS/cuDNN runtime failure other than out of memory: the process must not go on."""
    if isinstance(exc, DeviceError):
        return True
    if is_out_of_memory(exc):
        return False
    return any(type(e).__name__ in _STICKY_CLASSES or any(t in str(e).lower() for t in _STICKY_TEXT) for e in _chain(exc))


def raise_if_device_error(exc: BaseException) -> None:
    """Call in every handler that would otherwise swallow a failure and carry on."""
    if isinstance(exc, DeviceError):
        raise exc
    if is_device_error(exc):
        raise DeviceError(f"{type(exc).__name__}: {exc}") from exc
