"""Learns the CPU diarizer's speaker space from real voices: a linear discriminant projection of its
1 s piece vectors, trained on the TRAIN readers of the real-voice set only (dev/corpus/real-voices.ts
splits by reader; dev and test readers never reach this script).

  node dist/dev/corpus/write-real-conversations.js /tmp/cs-real        # writes readers.json
  node dist/dev/corpus/write-espeak-speakers.js /tmp/cs-espeak-speakers  # writes speakers.json
  /usr/bin/python3 dev/train-speaker-stats.py services/transcriber/worker/callscribe_worker/diarizers/data/speaker-lda.npz \
      /tmp/cs-real/readers.json ../shared/data/librispeech-voices \
      /tmp/cs-espeak-speakers/speakers.json /tmp/cs-espeak-speakers

Each list (readers.json, speakers.json) names speakers with their split; only "train" ones are read.
The espeak speakers (voices of the espeak set's dev pool) keep the space working on the synthetic set
too: trained on real voices alone, it lost the espeak set's held-out split (two-speaker DER 0.108 ->
0.213, docs/diarization.md).

Each reader's utterance goes through the telephone band (300-3400 Hz, 8 kHz mu-law) as the
conversations do; readers are mixed three to a pseudo-recording, so the per-recording normalisation
sees several voices, as it does in a call (one voice normalised alone would lose its own mean).
Deterministic: fixed seed, sorted inputs.
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
from callscribe_worker.diarizers.piece_vectors import piece_vectors  # noqa: E402

_GROUP = 3
_SHUFFLES = 8
_SILENCE = 8000  # 0.5 s between readers in a pseudo-recording
_KEEP_DIMS = 16


def telephone(path: str) -> np.ndarray:
    # -D: no dither, so the same inputs give the same weights.
    phone = subprocess.run(["sox", "-D", path, "-t", "wav", "-r", "8000", "-e", "mu-law", "-c", "1", "-", "sinc", "300-3400"], check=True, capture_output=True).stdout
    raw = subprocess.run(["sox", "-t", "wav", "-", "-t", "f32", "-r", "16000", "-c", "1", "-"], input=phone, check=True, capture_output=True).stdout
    return np.frombuffer(raw, dtype=np.float32).copy()


def main() -> None:
    out, sources = sys.argv[1], sys.argv[2:]
    rng = np.random.default_rng(22)
    vectors, labels, ids = [], [], []
    audio = {}
    # Speakers of one source are mixed only with each other: a recording is all real or all synthetic.
    for listing, folder in zip(sources[::2], sources[1::2]):
        with open(listing) as f:
            readers = sorted((r for r in json.load(f) if r["split"] == "train"), key=lambda r: r["id"])
        audio.update({r["id"]: telephone(os.path.join(folder, r["file"])) for r in readers})
        ids += [r["id"] for r in readers]
        vectors_of(audio, [r["id"] for r in readers], rng, vectors, labels)
    finish(out, ids, vectors, labels)


def vectors_of(audio: dict, ids: list, rng: np.random.Generator, vectors: list, labels: list) -> None:
    for _ in range(_SHUFFLES):
        order = rng.permutation(len(ids))
        for g in range(0, len(order), _GROUP):
            group = [ids[i] for i in order[g : g + _GROUP]]
            parts, regions, at = [], [], 0
            for rid in group:
                x = audio[rid]
                parts += [x, np.zeros(_SILENCE, dtype=np.float32)]
                regions.append((at / 16000, (at + len(x)) / 16000))
                at += len(x) + _SILENCE
            v, owner = piece_vectors(np.concatenate(parts), regions)
            vectors.append(v)
            labels += [group[o] for o in owner]


def finish(out: str, ids: list, vectors: list, labels: list) -> None:
    x = np.concatenate(vectors)
    mean, projection, ratios = speaker_lda.fit(x, np.array(labels), ids, _KEEP_DIMS)
    np.savez(out, projection=projection.astype(np.float32), mean=mean.astype(np.float32), ratios=ratios.astype(np.float32), readers=len(ids), pieces=len(x))
    print(f"{len(ids)} train speakers, {len(x)} pieces; between/within ratios: {np.round(ratios, 2).tolist()}")


if __name__ == "__main__":
    main()
