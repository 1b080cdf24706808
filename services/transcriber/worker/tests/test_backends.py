"""Backend selection: a missing library is a clear BackendLoadError naming the package and the install command."""
from __future__ import annotations

import importlib.util
import unittest

from callscribe_worker.__main__ import pinned_gpu
from callscribe_worker.backends import BackendLoadError, load_backend, load_diarizer


def missing(module: str) -> bool:
    return importlib.util.find_spec(module) is None


class BackendSelection(unittest.TestCase):
    def assert_load_error(self, load, name, package, install):
        with self.assertRaises(BackendLoadError) as ctx:
            load(name)
        message = str(ctx.exception)
        self.assertIn(repr(package), message)
        self.assertIn(install, message)
        self.assertNotIn("Traceback", message)

    @unittest.skipUnless(missing("whisperx") or missing("torch"), "whisperx is installed here")
    def test_whisperx_without_its_package(self):
        self.assert_load_error(load_backend, "whisperx", "whisperx", "pip install")

    @unittest.skipUnless(missing("transformers") or missing("torch"), "transformers is installed here")
    def test_hf_without_transformers(self):
        self.assert_load_error(load_backend, "hf", "transformers", "pip install")

    @unittest.skipUnless(missing("pyannote") or missing("torch"), "pyannote.audio is installed here")
    def test_pyannote_without_its_package(self):
        self.assert_load_error(load_diarizer, "pyannote", "pyannote.audio", "pip install")

    def test_unknown_names(self):
        with self.assertRaises(BackendLoadError):
            load_backend("kaldi")
        with self.assertRaises(BackendLoadError):
            load_diarizer("kaldi")

    @unittest.skipIf(missing("pocketsphinx"), "pocketsphinx is not installed here")
    def test_sphinx_is_english_and_cpu(self):
        info = load_backend("sphinx").info
        self.assertEqual((info.languages, info.device, info.gpu), (["en"], "cpu", ""))


class PinnedGpu(unittest.TestCase):
    def test_cpu_has_none(self):
        self.assertEqual(pinned_gpu("cpu"), "")

    def test_cuda_reports_the_visible_device(self):
        import os
        from unittest import mock

        with mock.patch.dict(os.environ, {"CUDA_VISIBLE_DEVICES": "GPU-5b0c2f3e-1a2b"}):
            self.assertEqual(pinned_gpu("cuda"), "GPU-5b0c2f3e-1a2b")
        with mock.patch.dict(os.environ, {"CUDA_VISIBLE_DEVICES": "3"}):
            self.assertEqual(pinned_gpu("cuda"), "3")
        env = {k: v for k, v in os.environ.items() if k != "CUDA_VISIBLE_DEVICES"}
        with mock.patch.dict(os.environ, env, clear=True):
            self.assertEqual(pinned_gpu("cuda"), "0")


if __name__ == "__main__":
    unittest.main()
