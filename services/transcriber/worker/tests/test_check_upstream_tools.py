"""The machinery of tools/check_upstream.py that runs without the upstream sources: reading a
signature from source text, binding rows, and which imports get a stand-in."""
from __future__ import annotations

import inspect
import os
import sys
import tempfile
import textwrap
import unittest

TOOLS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tools")
sys.path.insert(0, TOOLS)

import check_upstream  # noqa: E402
import native_stubs  # noqa: E402

SOURCE = textwrap.dedent(
    """
    class Mixin:
        def generate(self, input_features=None, generation_config=None, *, return_timestamps=None, **kwargs):
            pass

    def forced_align(log_probs, targets, input_lengths=None, target_lengths=None, blank=0):
        pass

    def only_positional(a, /, b, *rest):
        pass
    """
)


class AstSignatureTest(unittest.TestCase):
    def setUp(self) -> None:
        fd, self.path = tempfile.mkstemp(suffix=".py")
        with os.fdopen(fd, "w") as fh:
            fh.write(SOURCE)
        namespace: dict = {}
        exec(compile(SOURCE, self.path, "exec"), namespace)
        self.namespace = namespace

    def tearDown(self) -> None:
        os.unlink(self.path)

    def test_same_parameters_as_the_imported_function(self) -> None:
        for qualname, real in (("Mixin.generate", self.namespace["Mixin"].generate), ("forced_align", self.namespace["forced_align"]),
                               ("only_positional", self.namespace["only_positional"])):
            read = check_upstream.ast_signature(self.path, qualname)
            want = inspect.signature(real)
            self.assertEqual([(p.name, p.kind) for p in read.parameters.values()], [(p.name, p.kind) for p in want.parameters.values()], qualname)
            self.assertEqual([p.default is p.empty for p in read.parameters.values()], [p.default is p.empty for p in want.parameters.values()], qualname)

    def test_a_wrong_keyword_fails_the_row_with_the_real_signature(self) -> None:
        report = check_upstream.Report(os.path.dirname(self.path))
        sig = check_upstream.ast_signature(self.path, "forced_align")
        report.bind("forced_align", "x.py:6", sig, ("emission", "targets"), {"blank": 0})
        report.bind("forced_align (bad)", "x.py:6", sig, ("emission", "targets"), {"blank_id": 0})
        self.assertEqual(report.rows["forced_align"].status, check_upstream.OK)
        bad = report.rows["forced_align (bad)"]
        self.assertEqual(bad.status, check_upstream.FAIL)
        self.assertIn("blank_id", bad.detail)
        self.assertIn("(log_probs, targets", bad.detail)

    def test_strict_binding_fails_a_keyword_that_only_kwargs_would_take(self) -> None:
        report = check_upstream.Report(os.path.dirname(self.path))
        sig = check_upstream.ast_signature(self.path, "Mixin.generate")
        report.bind("loose", "x.py:3", sig, ("self",), {"maximum_speakers": 3})
        report.bind("strict", "x.py:3", sig, ("self",), {"maximum_speakers": 3}, strict=True)
        report.bind("strict ok", "x.py:3", sig, ("self",), {"return_timestamps": True}, strict=True)
        self.assertEqual(report.rows["loose"].status, check_upstream.OK)
        self.assertEqual(report.rows["strict"].status, check_upstream.FAIL)
        self.assertIn("maximum_speakers", report.rows["strict"].detail)
        self.assertEqual(report.rows["strict ok"].status, check_upstream.OK)

    def test_missing_definition_is_an_error_not_a_pass(self) -> None:
        with self.assertRaises(LookupError):
            check_upstream.ast_signature(self.path, "Mixin.detect_language")


class WorkerCallsTest(unittest.TestCase):
    def test_every_hf_call_the_checker_binds_is_in_the_worker(self) -> None:
        hf = os.path.join(check_upstream.WORKER, "callscribe_worker", "backends", "hf_whisper.py")
        for spelt, _rel, _qual, _bound in check_upstream.HF_CALLS:
            self.assertTrue(check_upstream.worker_calls(hf, spelt), spelt)

    def test_reads_positional_count_keywords_and_spread(self) -> None:
        fd, path = tempfile.mkstemp(suffix=".py")
        with os.fdopen(fd, "w") as fh:
            fh.write("x = WhisperConfig(d_model=1, layers=2)\ny = self._model.detect_language(input_features=f)\nz = P.from_pretrained(p, local_files_only=True, **extra)\n")
        try:
            config = check_upstream.worker_calls(path, "WhisperConfig")
            self.assertEqual([(c.positional, c.keywords, c.spread) for c in config], [(0, ["d_model", "layers"], False)])
            self.assertEqual(check_upstream.worker_calls(path, "detect_language")[0].keywords, ["input_features"])
            spread = check_upstream.worker_calls(path, "P.from_pretrained")[0]
            self.assertEqual((spread.positional, spread.keywords, spread.spread), (1, ["local_files_only"], True))
        finally:
            os.unlink(path)


class StandInTest(unittest.TestCase):
    def test_decorators_hand_back_the_real_function(self) -> None:
        torch = native_stubs.StubModule("torch")

        @torch.inference_mode()
        def decorated(features, *, beam_size=5):
            return features

        @torch.jit.script
        def scripted(x, y=1):
            return x

        self.assertEqual(list(inspect.signature(decorated).parameters), ["features", "beam_size"])
        self.assertEqual(list(inspect.signature(scripted).parameters), ["x", "y"])

    def test_subclass_of_a_stood_in_class_keeps_its_own_methods(self) -> None:
        torch = native_stubs.StubModule("torch")

        class Model(torch.nn.Module):
            def forward(self, waveforms, lengths=None):
                return waveforms

        self.assertEqual(list(inspect.signature(Model.forward).parameters), ["self", "waveforms", "lengths"])
        self.assertEqual(Model().forward(3), 3)

    def test_ctranslate2_generate_binds_against_its_keyword_only_options(self) -> None:
        rows = []
        ext = native_stubs.ctranslate2_ext(lambda call, where, sig, args, kwargs: rows.append((call, sig.bind(*args, **kwargs))))
        model = ext.Whisper("/models/large-v2", "cuda", device_index=0, compute_type="float16")
        out = model.generate("features", [[1, 2]], beam_size=5, max_length=448)
        self.assertEqual(len(out), 1)
        with self.assertRaises(TypeError):  # options are keyword-only in whisper.cc (py::kw_only())
            model.generate("features", [[1, 2]], False, 5)
        self.assertEqual([r[0] for r in rows], ["ctranslate2.models.Whisper(...)", "ctranslate2 Whisper.generate"])

    def test_only_imports_from_the_upstream_folder_get_a_stand_in_for_a_missing_package(self) -> None:
        root = tempfile.mkdtemp()
        pkg = os.path.join(root, "upstreampkg")
        os.makedirs(pkg)
        with open(os.path.join(pkg, "__init__.py"), "w") as fh:
            fh.write("import callscribe_surely_absent_dependency as dep\n")
        finder = native_stubs.install(root)
        sys.path.insert(0, root)
        try:
            import upstreampkg  # noqa: F401

            self.assertIn("callscribe_surely_absent_dependency", finder.absent_used)
            with self.assertRaises(ImportError):  # this test file is not upstream code
                import callscribe_another_absent_dependency  # noqa: F401
        finally:
            sys.path.remove(root)
            sys.meta_path.remove(finder)
            sys.meta_path.remove(finder.fallback)
            for name in [n for n in sys.modules if n.startswith(("upstreampkg", "callscribe_surely", "torch"))]:
                del sys.modules[name]


if __name__ == "__main__":
    unittest.main()
