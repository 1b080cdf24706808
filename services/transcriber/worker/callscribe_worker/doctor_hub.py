"""The Hugging Face side of the doctor: which token the pyannote diarizer will have (never its value)
and whether that token may download the gated pipelines, asked of the hub with one HEAD request each."""
from __future__ import annotations

import os
import urllib.error
import urllib.parse
import urllib.request
from typing import Mapping, Tuple

from .loader_args import PYANNOTE_PIPELINE_4

Outcome = Tuple[str, str, str]  # status (ok | fail | skip), detail, fix
HUB_TIMEOUT_S = 8.0


def ok(detail: str) -> Outcome:
    return "ok", detail, ""


def fail(detail: str, fix: str) -> Outcome:
    return "fail", detail, fix


def token_source(env: Mapping[str, str]) -> Tuple[str, str]:
    """(where, token) of the Hugging Face token huggingface_hub would use, or ("", "") when none."""
    for name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"):
        if env.get(name, "").strip():
            return name, env[name].strip()
    hf_home = env.get("HF_HOME") or os.path.join(env.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "huggingface")
    path = env.get("HF_TOKEN_PATH") or os.path.join(hf_home, "token")
    try:
        with open(path, encoding="utf-8") as f:
            token = f.read().strip()
    except OSError:
        return "", ""
    return (f"the token file {path}", token) if token else ("", "")


def token_row(env: Mapping[str, str], checkpoint: str) -> Outcome:
    """Whether the pyannote diarizer will have a token. It reads HF_TOKEN alone (pyannote_backend.py),
    so a token elsewhere is a failure the operator must hear about. Never says the value."""
    where, _token = token_source(env)
    terms = f"accept the terms of {' and '.join(dict.fromkeys([checkpoint, PYANNOTE_PIPELINE_4]))} on huggingface.co with the token's account"
    if not where:
        return fail("no Hugging Face token: HF_TOKEN is not set", f"create a read token at https://huggingface.co/settings/tokens, {terms}, and set HF_TOKEN (compose: in .env)")
    if where != "HF_TOKEN":
        return fail(f"a token is in {where}, but the pyannote diarizer reads HF_TOKEN only", "export HF_TOKEN with the same token (compose: in .env)")
    return ok("HF_TOKEN is set (value not shown)")


def hub_access(endpoint: str, repo: str, token: str, timeout_s: float = HUB_TIMEOUT_S) -> Outcome:
    """Whether `token` may download `repo`'s files: one HEAD request for its config.yaml."""
    host = urllib.parse.urlsplit(endpoint).netloc or endpoint
    request = urllib.request.Request(f"{endpoint.rstrip('/')}/{repo}/resolve/main/config.yaml", method="HEAD", headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=timeout_s):
            return ok(f"{repo}: the token has access")
    except urllib.error.HTTPError as exc:
        if exc.code == 401:
            return fail(f"{repo}: {host} rejected the token (401)", "the token is invalid or revoked: make a new read token at https://huggingface.co/settings/tokens")
        if exc.code in (403, 404):
            return fail(f"{repo}: no access with this token ({exc.code})", f"open https://huggingface.co/{repo} signed in as the token's account and accept the terms")
        return fail(f"{repo}: {host} answered {exc.code}", "try again later; https://status.huggingface.co")
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return fail(
            f"cannot reach {host} ({reason})",
            f"allow HTTPS to {host} from this host, or put the pipeline in the cache (HF_HOME) and set HF_HUB_OFFLINE=1",
        )
