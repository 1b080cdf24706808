"""A poisoned GPU ends the worker with its own exit code; out of memory and ordinary failures do not.

The messages are the libraries' own (device_errors.py names where each comes from); the worker's
loop (`serve`) and start-up (`load`) run for real on in-memory frames.
"""
from __future__ import annotations

import io
import unittest
from contextlib import redirect_stderr
from unittest import mock

import numpy as np

from callscribe_worker import __main__ as worker
from callscribe_worker.backends import BackendLoadError, EngineInfo, ItemResult, Segment
from callscribe_worker.device_errors import EXIT_DEVICE_ERROR, DeviceError, is_device_error, is_out_of_memory
from callscribe_worker.protocol import read_frame, write_frame
from tests.gpu_fakes import OutOfMemoryError


class AcceleratorError(RuntimeError):
    """torch.AcceleratorError's shape (a RuntimeError subclass for CUDA failures)."""


STICKY = [
    RuntimeError("CUDA error: device-side assert triggered\nCUDA kernel errors might be asynchronously reported"),
    RuntimeError("CUDA error: an illegal memory access was encountered"),
    AcceleratorError("CUDA error: unspecified launch failure"),
    RuntimeError("cuDNN error: CUDNN_STATUS_EXECUTION_FAILED"),
    RuntimeError("CUDA error: CUBLAS_STATUS_EXECUTION_FAILED when calling `cublasGemmEx( handle, opa, opb, m, n, k, ...)`"),
    RuntimeError("CUDA failed with error an illegal memory access was encountered"),  # CTranslate2 CUDA_CHECK
    RuntimeError("cuBLAS failed with status CUBLAS_STATUS_EXECUTION_FAILED"),  # CTranslate2 CUBLAS_CHECK
    RuntimeError("cuDNN failed with status CUDNN_STATUS_EXECUTION_FAILED"),  # CTranslate2 CUDNN_CHECK
]
OUT_OF_MEMORY = [
    OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 MiB. GPU 0 has a total capacity of 79.10 GiB"),
    RuntimeError("CUDA failed with error out of memory"),  # CTranslate2
    RuntimeError("CUDA error: out of memory"),
]
ORDINARY = [
    ValueError("No default align-model for language: xx"),
    RuntimeError("No position encodings are defined for positions >= 448"),
    KeyError("language"),
]


class Classifier(unittest.TestCase):
    def test_sticky_errors(self):
        for exc in STICKY:
            self.assertTrue(is_device_error(exc), exc)
            self.assertFalse(is_out_of_memory(exc), exc)

    def test_out_of_memory_is_survivable(self):
        for exc in OUT_OF_MEMORY:
            self.assertTrue(is_out_of_memory(exc), exc)
            self.assertFalse(is_device_error(exc), exc)

    def test_ordinary_errors(self):
        for exc in ORDINARY:
            self.assertFalse(is_device_error(exc), exc)
            self.assertFalse(is_out_of_memory(exc), exc)

    def test_a_wrapped_cuda_error_is_found_through_its_cause(self):
        try:
            try:
                raise RuntimeError("CUDA error: device-side assert triggered")
            except RuntimeError as exc:
                raise ValueError("pipeline step failed") from exc
        except ValueError as wrapped:
            self.assertTrue(is_device_error(wrapped))


class Backend:
    """Answers "ok" per chunk, or raises the error the first sample of the batch selects."""

    def __init__(self):
        self.info = EngineInfo("fake", "fake", "cuda", "float16", ["*"])

    def transcribe_batch(self, chunks, languages, word_timestamps):
        selector = int(chunks[0][0])
        if selector == 1:
            raise RuntimeError("CUDA error: device-side assert triggered")
        if selector == 2:
            raise ValueError("a bug of ours")
        return [ItemResult([Segment(0.0, 1.0, "ok")], "en", False) for _ in chunks]


def frames(*first_samples):
    stream = io.BytesIO()
    for n, first in enumerate(first_samples):
        audio = np.full(160, first, dtype="<f4")
        write_frame(stream, {"type": "transcribe", "id": n + 1, "wordTimestamps": False, "items": [{"samples": 160, "language": "en"}]}, audio.tobytes())
    stream.seek(0)
    return stream


def replies(stdout):
    stdout.seek(0)
    out = []
    while (frame := read_frame(stdout)) is not None:
        out.append(frame[0])
    return out


class Serve(unittest.TestCase):
    def serve(self, stdin):
        backend = Backend()
        stdout = io.BytesIO()
        with redirect_stderr(io.StringIO()) as err:
            code = worker.serve({"transcribe": lambda h, a: worker._transcribe(backend, h, a)}, stdin, stdout)
        return code, replies(stdout), err.getvalue()

    def test_a_sticky_cuda_error_exits_with_its_code_and_answers_nothing(self):
        code, sent, stderr = self.serve(frames(0, 1, 0))
        self.assertEqual(code, EXIT_DEVICE_ERROR)
        # Request 1 answered; request 2 (the poisoned one) unanswered, so the transcriber retries it
        # on a restarted worker; request 3 never read by this process.
        self.assertEqual([(r["type"], r["id"]) for r in sent], [("result", 1)])
        self.assertIn("device-side assert", stderr)
        self.assertIn(f"exiting with code {EXIT_DEVICE_ERROR}", stderr)

    def test_other_failures_keep_the_worker_serving(self):
        code, sent, _ = self.serve(frames(2, 0))
        self.assertEqual(code, 0)
        self.assertEqual([r["id"] for r in sent], [1, 2])
        self.assertEqual(sent[0]["items"][0]["code"], "internal")
        self.assertEqual(sent[1]["items"][0]["segments"][0]["text"], "ok")

    def test_the_exit_codes_differ(self):
        self.assertNotEqual(EXIT_DEVICE_ERROR, worker.EXIT_LOAD_FAILED)
        self.assertNotIn(EXIT_DEVICE_ERROR, (0, 1, 2))
        self.assertTrue(issubclass(DeviceError, RuntimeError))


class Load(unittest.TestCase):
    def test_any_failure_to_start_is_a_load_error_with_its_reason(self):
        def broken(name):
            raise TypeError("whisperx.load_model has no vad_model parameter")

        with mock.patch.object(worker, "load_backend", broken), redirect_stderr(io.StringIO()):
            with self.assertRaises(BackendLoadError) as ctx:
                worker.load("whisperx")
        self.assertIn("TypeError: whisperx.load_model has no vad_model parameter", str(ctx.exception))

    def test_main_answers_fatal_and_exits_3(self):
        def broken(name):
            raise OSError("libcudnn_ops.so.9: cannot open shared object file")

        stdout = io.BytesIO()
        with mock.patch.object(worker, "load_backend", broken), mock.patch.object(worker.sys, "stdout"), redirect_stderr(io.StringIO()):
            code = worker.main(["--backend", "whisperx"], io.BytesIO(), stdout)
        self.assertEqual(code, worker.EXIT_LOAD_FAILED)
        (fatal,) = replies(stdout)
        self.assertEqual(fatal["type"], "fatal")
        self.assertIn("libcudnn_ops.so.9", fatal["message"])


if __name__ == "__main__":
    unittest.main()
