"""bench:diarization, separability: can the conversation-mode features count speakers on this set?

The count rule (speaker_count.py) adds a speaker while the split raises the fit gain
(gaussian_stats.fit_gain, nats per frame) past a threshold. That can only work if a real second
voice gains more than a split of one voice does. For each recording this measures, on the
diarizer's own features (speech regions from the RTTM, as spectral_speed.py):
  - reference: the gain of the true speaker labels;
  - found k: the gain of the diarizer's own partition when told there are k speakers
    (min = max = k), i.e. the best split its search finds, real voice or not;
  - thirdVoice (three speakers): the reference gain less that of the reference with its two
    closest voices merged;
all over the same frames: voiced, with exactly one person speaking.
argv: worker dir, WAV files (RTTM beside each). Prints one JSON object per recording.
"""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np

sys.path.insert(0, sys.argv[1])
from callscribe_worker.diarizers import spectral  # noqa: E402
from callscribe_worker.diarizers.gaussian_stats import fit_gain  # noqa: E402
from callscribe_worker.diarizers.piece_vectors import speech  # noqa: E402
from callscribe_worker.diarizers.voice_features import frame_features  # noqa: E402
from spectral_speed import speech_regions  # noqa: E402


def frame_labels(turns, frames: int) -> np.ndarray:
    """One speaker index per 10 ms frame; -1 where nobody or more than one person speaks."""
    names = sorted({t[2] for t in turns})
    hits = np.zeros((frames, len(names)), dtype=bool)
    for start, end, who in turns:
        hits[int(start * 100) : int(end * 100), names.index(who)] = True
    one = hits.sum(axis=1) == 1
    return np.where(one, hits.argmax(axis=1), -1)


def gain_of(x: np.ndarray, keep: np.ndarray, labels: np.ndarray) -> float:
    used = np.unique(labels[keep])
    if len(used) < 2:
        return 0.0
    relabelled = np.searchsorted(used, labels[keep])
    return fit_gain(x[keep], relabelled, len(used))


def main() -> None:
    diarizer = spectral.ConversationDiarizer("conversation")
    for wav in sys.argv[2:]:
        raw = subprocess.run(["sox", "-D", wav, "-t", "f32", "-r", "16000", "-c", "1", "-"], check=True, capture_output=True).stdout
        audio = np.frombuffer(raw, dtype="<f4")
        rttm = wav[:-4] + ".rttm"
        reference = [(float(f[3]), float(f[3]) + float(f[4]), f[7]) for f in (line.split() for line in open(rttm))]
        regions = speech_regions(rttm, 0.0)
        mfcc, _ = frame_features(np.ascontiguousarray(audio, dtype=np.float32))
        s = speech(audio, regions)
        x, voiced = s.x, s.voiced
        at = np.concatenate([np.arange(a, b) for a, b in s.runs])
        truth = frame_labels(reference, len(mfcc))[at]
        speakers = len({r[2] for r in reference})
        row = {"file": wav.rsplit("/", 1)[-1], "speakers": speakers}
        # Both gains on the same frames: voiced, and exactly one person speaking.
        keep = voiced & (truth >= 0)
        if speakers >= 2:
            row["reference"] = gain_of(x, keep, truth)
        if speakers == 3:
            # What the third voice adds: the true split against the best split with two voices merged.
            merged = [gain_of(x, keep, np.where(truth == b, a, truth)) for a, b in ((0, 1), (0, 2), (1, 2))]
            row["thirdVoice"] = row["reference"] - max(merged)
        for k in (2, 3):
            found, _ = diarizer.diarize(audio, regions, k, k)
            labels = frame_labels([(t.start, t.end, t.speaker) for t in found], len(mfcc))[at]
            row[f"found{k}"] = gain_of(x, keep & (labels >= 0), labels)
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
