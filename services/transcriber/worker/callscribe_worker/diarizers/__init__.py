"""Speaker diarizers: who spoke when, from 16 kHz mono audio and the transcriber's speech regions."""
from __future__ import annotations

from dataclasses import dataclass
from typing import List, Protocol, Sequence, Tuple

import numpy as np


@dataclass
class Turn:
    start: float
    end: float
    speaker: str


class Diarizer(Protocol):
    name: str

    def diarize(self, audio: np.ndarray, regions: Sequence[Tuple[float, float]], min_speakers: int, max_speakers: int) -> List[Turn]:
        """regions: speech (start, end) seconds from the VAD; 0 means no bound on the speaker count."""
        ...
