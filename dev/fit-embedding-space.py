"""The speaker space on top of the CPU diarizer's embedding network (dev/train-speaker-embedding.py):
a linear discriminant projection of the network's embeddings of 1 s pieces in conversations of the
TRAIN readers, so the within-speaker scatter a real call shows (pieces cut where a VAD cuts, turn
edges, overlaps, the reader's gain) is what gets whitened, and the 16 directions where speakers
differ most are kept. numpy only; adds `lda.mean` and `lda.projection` to the weights file:

  node dist/dev/corpus/write-real-conversations.js --train 200 /tmp/cs-train
  /usr/bin/python3 dev/fit-embedding-space.py \
      services/transcriber/worker/callscribe_worker/diarizers/data/speaker-embedding.npz /tmp/cs-train

(the shipped projection; the file keeps the network and the check the training script stored). More
folders add their calls: espeak calls of the espeak set's dev pool
(`node dist/dev/corpus/write-espeak-calibration.js 60 /tmp/cs-espx`) were tried and made both sets
worse (docs/diarization.md, "The count, third pass"). Refuses a folder holding scored calls (ids
dev-*, test-*).

Deterministic: sorted inputs, no randomness.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "services", "transcriber", "worker"))

import speaker_lda  # noqa: E402  (dev/, this script's own folder)
from callscribe_worker.diarizers import speaker_embedding  # noqa: E402
from callscribe_worker.diarizers.piece_vectors import speech  # noqa: E402

LDA_DIMS = 16
VAD_GAP_SEC = 0.35  # reference phrases closer than this are one speech region, as the VAD joins them


def _regions(segments: list) -> list:
    merged: list = []
    for a, b, _ in sorted(segments):
        if merged and a <= merged[-1][1] + VAD_GAP_SEC:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    return [(a, b) for a, b in merged]


def _pieces_of(folder: str, item: dict) -> tuple:
    """The network's embeddings of one conversation's pieces, and each piece's speaker (None where
    no reference speech falls in it)."""
    raw = subprocess.run(["sox", os.path.join(folder, item["wav"]), "-t", "f32", "-r", "16000", "-c", "1", "-"], check=True, capture_output=True).stdout
    audio = np.frombuffer(raw, dtype=np.float32).copy()
    segments = [(t["startSec"], t["endSec"], t["speaker"]) for t in item["turns"]]
    s = speech(audio, _regions(segments), with_mel=True)
    e = speaker_embedding.embed_pieces(s, raw=True)
    frame_of = np.concatenate([np.arange(a, b) for a, b in s.runs])
    owners = []
    for a, b in s.pieces:
        at = frame_of[a:b] / 100.0
        held: dict = {}
        for x, y, r in segments:
            held[r] = held.get(r, 0) + int(((at >= x) & (at < y)).sum())
        best = max(held, key=lambda r: held[r])
        owners.append(best if held[best] > 0 else None)
    return e, owners


def fit(out: str, folders: list) -> None:
    vectors, labels, calls = [], [], 0
    for folder in folders:
        with open(os.path.join(folder, "manifest.json")) as f:
            items = json.load(f)["items"]
        scored = [i["id"] for i in items if not i["id"].startswith(("train-", "devx-"))]
        if scored:
            raise SystemExit(f"{folder} holds scored calls ({scored[0]}, ...): fit on calibration sets only")
        for item in items:
            e, owners = _pieces_of(folder, item)
            for v, r in zip(e, owners):
                if r is not None:
                    # One class per speaker per call: the scatter to whiten is within one recording.
                    vectors.append(v)
                    labels.append(f"{item['id']}/{r}")
        calls += len(items)
    x = np.array(vectors, dtype=np.float64)
    names = sorted(set(labels))
    y = np.array([names.index(n) for n in labels])
    mean, projection, ratios = speaker_lda.fit(x, y, list(range(len(names))), LDA_DIMS)
    weights = dict(np.load(out))
    weights["lda.mean"] = mean.astype(np.float32)
    weights["lda.projection"] = projection.astype(np.float32)
    np.savez_compressed(out, **weights)
    print(f"{calls} calibration conversations, {len(x)} pieces of {len(names)} speaker-calls; between/within: {np.round(ratios, 2).tolist()}")
    print(f"wrote {out} ({os.path.getsize(out)} bytes)")


if __name__ == "__main__":
    speaker_embedding._MODEL = speaker_embedding.SpeakerEmbedding(sys.argv[1], projected=False)
    fit(sys.argv[1], sys.argv[2:])
