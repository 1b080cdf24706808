"""bench:diarization, speed: the spectral diarizer alone on ~10 minutes of recordings back to back,
speech regions from the reference RTTM (overlapping turns merged). argv: worker dir, mode
(CALLSCRIBE_SPECTRAL_MODE: embedding, conversation, voices or legacy), seconds, WAV files. Prints JSON."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, sys.argv[1])
os.environ["CALLSCRIBE_SPECTRAL_MODE"] = sys.argv[2]
from callscribe_worker.diarizers.spectral import SpectralDiarizer  # noqa: E402


def speech_regions(rttm: str, offset: float) -> list:
    spans = sorted((float(f[3]), float(f[3]) + float(f[4])) for f in (line.split() for line in open(rttm)))
    merged: list = []
    for a, b in spans:
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    return [(offset + a, offset + b) for a, b in merged]


def main() -> None:
    target_sec = float(sys.argv[3])
    files = sys.argv[4:]
    audio_parts, regions, offset = [], [], 0.0
    while offset < target_sec:
        for wav in files:
            raw = subprocess.run(["sox", "-D", wav, "-t", "f32", "-r", "16000", "-c", "1", "-"], check=True, capture_output=True).stdout
            x = np.frombuffer(raw, dtype="<f4")
            regions.extend(speech_regions(wav[:-4] + ".rttm", offset))
            audio_parts.append(x)
            offset += len(x) / 16000.0
            if offset >= target_sec:
                break
    audio = np.concatenate(audio_parts)
    diarizer = SpectralDiarizer()
    diarizer.diarize(audio[: 16000 * 30], [r for r in regions if r[1] < 30], 0, 0)  # warm-up
    cpu0, t0 = time.process_time(), time.perf_counter()
    turns = diarizer.diarize(audio, regions, 0, 0)
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    print(json.dumps({"mode": sys.argv[2], "audioSec": len(audio) / 16000.0, "wallSec": wall, "cpuSec": cpu, "speakers": len({t.speaker for t in turns})}))


if __name__ == "__main__":
    main()
