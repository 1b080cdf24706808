"""The doctor's row logic: the cuDNN comparison, the token check (which never says the token), the
gated-model check against a real local HTTP server, and whole runs on the engines this machine has."""
from __future__ import annotations

import http.server
import importlib.util
import json
import os
import socket
import tempfile
import threading
import unittest

from callscribe_worker import doctor, doctor_hub
from callscribe_worker.doctor_cudnn import CudnnView, cudnn_libs, lib_dirs, probe_in_child, verdict, version_text

TOKEN = "hf_doctorTestSecret0123456789"
PIP = "/venv/lib/python3.10/site-packages/nvidia/cudnn/lib"
SYSTEM = "/usr/lib/x86_64-linux-gnu"


def missing(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is None
    except ModuleNotFoundError:  # a dotted name whose parent is absent
        return True


class CudnnVersions(unittest.TestCase):
    def test_versions_read_as_cudnn_writes_them(self):
        self.assertEqual(version_text(91002), "9.10.2")
        self.assertEqual(version_text(90100), "9.1.0")
        self.assertEqual(version_text(8902), "8.9.2")
        self.assertEqual(version_text(None), "unknown")

    def test_maps_lines_give_each_cudnn_file_once(self):
        maps = [
            f"7f00-7f10 r-xp 00000000 08:01 1 {PIP}/libcudnn.so.9",
            f"7f10-7f20 r--p 00010000 08:01 1 {PIP}/libcudnn.so.9",
            "7f20-7f30 r-xp 00000000 08:01 2 /usr/lib/x86_64-linux-gnu/libc.so.6",
            f"7f30-7f40 r-xp 00000000 08:01 3 {SYSTEM}/libcudnn_ops.so.9.8.0",
            "7f40-7f50 rw-p 00000000 00:00 0 ",
            "7f50-7f60 r-xp 00000000 08:01 4 /opt/libcudnnish.txt",
        ]
        libs = cudnn_libs(maps)
        self.assertEqual(libs, [f"{PIP}/libcudnn.so.9", f"{SYSTEM}/libcudnn_ops.so.9.8.0"])
        self.assertEqual(lib_dirs(libs), [PIP, SYSTEM])


class CudnnProbes(unittest.TestCase):
    @unittest.skipUnless(missing("torch") and missing("ctranslate2"), "torch or ctranslate2 is installed here")
    def test_a_probe_in_a_fresh_interpreter_reports_what_stops_it(self):
        for kind, module in (("torch", "torch"), ("ctranslate2", "ctranslate2"), ("worker", "ctranslate2")):
            view = probe_in_child(kind, 30.0)
            self.assertEqual(view.error, f"ModuleNotFoundError: No module named {module!r}")
            self.assertEqual((view.version, view.libs), (None, []))


class CudnnVerdict(unittest.TestCase):
    def test_one_copy_shared_is_ok(self):
        view = CudnnView(91002, [f"{PIP}/libcudnn.so.9", f"{PIP}/libcudnn_cnn.so.9"])
        passed, detail, fix = verdict(view, CudnnView(91002, [f"{PIP}/libcudnn.so.9"]), view)
        self.assertTrue(passed, detail)
        self.assertIn("9.10.2", detail)
        self.assertEqual(fix, "")

    def test_the_image_clash_fails_and_names_both_and_the_fix(self):
        # The case issue 18 describes: torch's pip cuDNN 9.10, the base image's system cuDNN 9.8 for CTranslate2.
        torch_view = CudnnView(91002, [f"{PIP}/libcudnn.so.9"])
        ct2_view = CudnnView(90800, [f"{SYSTEM}/libcudnn.so.9.8.0"])
        worker_view = CudnnView(90800, [f"{SYSTEM}/libcudnn.so.9.8.0", f"{PIP}/libcudnn_cnn.so.9"])
        passed, detail, fix = verdict(torch_view, ct2_view, worker_view)
        self.assertFalse(passed)
        self.assertIn("9.10.2", detail)
        self.assertIn("9.8.0", detail)
        self.assertIn("LD_LIBRARY_PATH", fix)
        self.assertIn("nvidia/cudnn/lib", fix)

    def test_different_versions_fail_even_before_they_meet(self):
        passed, detail, _ = verdict(CudnnView(91002, [f"{PIP}/libcudnn.so.9"]), CudnnView(90800, [f"{SYSTEM}/libcudnn.so.9"]), CudnnView(91002, [f"{PIP}/libcudnn.so.9"]))
        self.assertFalse(passed)
        self.assertIn("clash", detail)

    def test_same_version_from_two_places_fails(self):
        passed, detail, _ = verdict(CudnnView(91002, [f"{PIP}/libcudnn.so.9"]), CudnnView(91002, [f"{SYSTEM}/libcudnn.so.9"]), CudnnView(91002, [f"{PIP}/libcudnn.so.9"]))
        self.assertFalse(passed)
        self.assertIn("two copies", detail)

    def test_a_probe_error_fails_with_its_message(self):
        broken = CudnnView(error="OSError: libcudnn.so.9: cannot open shared object file")
        passed, detail, _ = verdict(CudnnView(91002, [f"{PIP}/libcudnn.so.9"]), broken, CudnnView(91002, [f"{PIP}/libcudnn.so.9"]))
        self.assertFalse(passed)
        self.assertIn("cannot open shared object file", detail)
        self.assertIn("CTranslate2", detail)


class HfToken(unittest.TestCase):
    def setUp(self):
        self.home = tempfile.TemporaryDirectory()
        self.addCleanup(self.home.cleanup)
        self.base = {"HF_HOME": self.home.name}

    def assert_silent(self, outcome):
        for text in outcome:
            self.assertNotIn(TOKEN, text)
            self.assertNotIn(TOKEN[3:12], text)

    def test_hf_token_is_found_and_not_shown(self):
        env = {**self.base, "HF_TOKEN": TOKEN}
        self.assertEqual(doctor_hub.token_source(env), ("HF_TOKEN", TOKEN))
        outcome = doctor_hub.token_row(env, "pyannote/speaker-diarization-community-1")
        self.assertEqual(outcome[0], "ok")
        self.assert_silent(outcome)

    def test_a_token_the_diarizer_does_not_read_fails(self):
        env = {**self.base, "HUGGING_FACE_HUB_TOKEN": TOKEN}
        outcome = doctor_hub.token_row(env, "pyannote/speaker-diarization-community-1")
        self.assertEqual(outcome[0], "fail")
        self.assertIn("HF_TOKEN", outcome[2])
        self.assert_silent(outcome)
        with open(os.path.join(self.home.name, "token"), "w", encoding="utf-8") as f:
            f.write(TOKEN + "\n")
        self.assertEqual(doctor_hub.token_source(self.base), (f"the token file {os.path.join(self.home.name, 'token')}", TOKEN))
        outcome = doctor_hub.token_row(self.base, "pyannote/speaker-diarization-3.1")
        self.assertEqual(outcome[0], "fail")
        self.assertIn("token file", outcome[1])
        self.assert_silent(outcome)

    def test_no_token_fails_with_where_to_get_one(self):
        outcome = doctor_hub.token_row(self.base, "pyannote/speaker-diarization-3.1")
        self.assertEqual(outcome[0], "fail")
        self.assertIn("https://huggingface.co/settings/tokens", outcome[2])
        self.assertIn("pyannote/speaker-diarization-3.1", outcome[2])
        self.assertIn("pyannote/speaker-diarization-community-1", outcome[2])


class _Hub(http.server.BaseHTTPRequestHandler):
    """A stand-in hub on 127.0.0.1: a real HTTP server with the status codes huggingface.co answers."""

    seen: list = []

    def do_HEAD(self):
        _Hub.seen.append((self.path, self.headers.get("Authorization", "")))
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            self.send_response(401)
        elif self.path.startswith("/open/"):
            self.send_response(200)
        else:
            self.send_response(403)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


class GatedModels(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hub)
        threading.Thread(target=cls.server.serve_forever, daemon=True).start()
        cls.endpoint = f"http://127.0.0.1:{cls.server.server_address[1]}"

    @classmethod
    def tearDownClass(cls):
        cls.server.shutdown()
        cls.server.server_close()

    def test_access_is_asked_with_the_token_and_reported_without_it(self):
        outcome = doctor_hub.hub_access(self.endpoint, "open/pipeline", TOKEN)
        self.assertEqual(outcome[0], "ok", outcome)
        self.assertIn(("/open/pipeline/resolve/main/config.yaml", f"Bearer {TOKEN}"), _Hub.seen)
        self.assertNotIn(TOKEN, " ".join(outcome))

    def test_terms_not_accepted_says_where_to_accept_them(self):
        status, detail, fix = doctor_hub.hub_access(self.endpoint, "pyannote/speaker-diarization-community-1", TOKEN)
        self.assertEqual(status, "fail")
        self.assertIn("403", detail)
        self.assertIn("https://huggingface.co/pyannote/speaker-diarization-community-1", fix)

    def test_a_bad_token_is_rejected_and_not_echoed(self):
        wrong = "hf_wrongWrongWrong"
        status, detail, fix = doctor_hub.hub_access(self.endpoint, "open/pipeline", wrong)
        self.assertEqual(status, "fail")
        self.assertIn("401", detail)
        self.assertNotIn(wrong, detail + fix)

    def test_no_network_says_it_cannot_reach_the_hub(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        status, detail, fix = doctor_hub.hub_access(f"http://127.0.0.1:{port}", "open/pipeline", TOKEN, timeout_s=3)
        self.assertEqual(status, "fail")
        self.assertIn(f"cannot reach 127.0.0.1:{port}", detail)
        self.assertIn("HF_HUB_OFFLINE", fix)


class WholeRuns(unittest.TestCase):
    def run_doctor(self, engine: str, diarizer: str):
        rows = []
        passed = doctor.run(doctor.Doctor(engine, diarizer, {}), rows.append)
        return passed, {r["check"]: r for r in rows if "status" in r}, rows

    @unittest.skipIf(missing("pocketsphinx"), "pocketsphinx is not installed here")
    def test_sphinx_passes_with_a_timed_decode(self):
        passed, rows, messages = self.run_doctor("sphinx", "spectral")
        self.assertTrue(passed, json.dumps(rows, indent=1))
        self.assertEqual(messages[0]["plan"], [r for r in rows])
        for check in ("python", "package pocketsphinx", "sphinx model", "model", "decode", "diarization"):
            self.assertEqual(rows[check]["status"], "ok", rows[check])
        self.assertRegex(rows["decode"]["detail"], r"decoded in \d+\.\d\d s")
        self.assertEqual(rows["cudnn"]["status"], "skip")

    @unittest.skipUnless(missing("whisperx"), "whisperx is installed here")
    def test_whisperx_without_its_packages_names_them(self):
        passed, rows, _ = self.run_doctor("whisperx", "none")
        self.assertFalse(passed)
        self.assertEqual(rows["package whisperx"]["status"], "fail")
        self.assertIn("pip install whisperx==", rows["package whisperx"]["fix"])
        self.assertEqual(rows["model"]["status"], "skip")
        self.assertIn("whisperx", rows["model"]["detail"])

    def test_synthetic_speech_is_bounded_audio(self):
        import numpy as np

        audio = doctor.synthetic_speech(1.0, 150.0, 0)
        self.assertEqual(audio.shape, (16000,))
        self.assertTrue(np.all(np.isfinite(audio)))
        self.assertLessEqual(float(np.max(np.abs(audio))), 0.3 + 1e-6)


if __name__ == "__main__":
    unittest.main()
