"""CPU engine: Debian's pocketsphinx with its US English model.

Real and fast enough for CI and demos (about 6x real time per core), weak on accuracy: a load
test on this backend measures the service, not the state of the art.
"""
from __future__ import annotations

import os
import re
from typing import List, Sequence

import numpy as np

from . import BackendLoadError, missing_library, EngineInfo, ItemResult, Segment, Word

_FRAMES_PER_SEC = 100.0
# Fillers and markers the decoder emits that are not words.
_NOT_WORDS = {"<s>", "</s>", "<sil>", "[NOISE]", "[SPEECH]", "[LAUGH]", "[BREATH]", "[COUGH]", "[UM]", "[UH]"}
_ALT_PRONUNCIATION = re.compile(r"\(\d+\)$")
# A pause this long between words starts a new segment.
_SEGMENT_GAP_SEC = 0.5
_MAX_SEGMENT_SEC = 15.0


class SphinxBackend:
    def __init__(self) -> None:
        try:
            from pocketsphinx import Decoder
        except ImportError as exc:
            raise missing_library("sphinx", exc) from exc
        model_dir = os.environ.get("SPHINX_MODEL_DIR", "/usr/share/pocketsphinx/model/en-us")
        paths = {"-hmm": "en-us", "-lm": "en-us.lm.bin", "-dict": "cmudict-en-us.dict"}
        config = Decoder.default_config()
        for key, name in paths.items():
            path = os.path.join(model_dir, name)
            if not os.path.exists(path):
                raise BackendLoadError(f"sphinx model file {path} is missing; install Debian's pocketsphinx-en-us")
            config.set_string(key, path)
        config.set_string("-logfn", os.devnull)
        # Live CMN carries the cepstral mean from one utterance into the next, so one caller's audio
        # would change another's transcript; batch CMN normalises each chunk on its own.
        config.set_string("-cmn", "batch")
        # The noise and silence trackers also adapt across utterances; silence is already gone
        # (the transcriber's VAD cut it), and without them recall on our test calls went up.
        config.set_boolean("-remove_noise", False)
        config.set_boolean("-remove_silence", False)
        self._decoder = Decoder(config)
        self._logmath = self._decoder.get_logmath()
        self.info = EngineInfo("sphinx", "cmusphinx-en-us-5.2", "cpu", "float32", ["en"])

    def transcribe_batch(self, chunks: Sequence[np.ndarray], languages: Sequence[str], word_timestamps: bool) -> List[ItemResult]:
        # English only (the worker refuses other languages before they get here); word times always.
        return [ItemResult(self._transcribe(chunk), "en", True) for chunk in chunks]

    def _transcribe(self, audio: np.ndarray) -> List[Segment]:
        pcm = (np.clip(audio, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()
        d = self._decoder
        d.start_utt()
        d.process_raw(pcm, False, True)
        d.end_utt()
        words: List[Word] = []
        for seg in d.seg():
            token = _ALT_PRONUNCIATION.sub("", seg.word)
            if token in _NOT_WORDS or token.startswith("++"):
                continue
            confidence = float(self._logmath.exp(seg.prob))
            words.append(Word(token, seg.start_frame / _FRAMES_PER_SEC, (seg.end_frame + 1) / _FRAMES_PER_SEC, confidence))
        return group_words(words)


def group_words(words: List[Word]) -> List[Segment]:
    segments: List[Segment] = []
    current: List[Word] = []
    for word in words:
        if current and (word.start - current[-1].end >= _SEGMENT_GAP_SEC or word.end - current[0].start > _MAX_SEGMENT_SEC):
            segments.append(_segment(current))
            current = []
        current.append(word)
    if current:
        segments.append(_segment(current))
    return segments


def _segment(words: List[Word]) -> Segment:
    return Segment(words[0].start, words[-1].end, " ".join(w.text for w in words), list(words))
