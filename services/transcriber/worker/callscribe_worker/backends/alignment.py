"""Word times for a whole batch: wav2vec2 on the GPU, CTC forced alignment on the GPU.

whisperX's `align` (whisperx/alignment.py) runs wav2vec2 once per segment ("TODO: Probably can get
some speedup gain with batched inference here"), moves each emission to the CPU and walks a Python
trellis (`get_trellis`/`backtrack`) while the GPU idles. Here the log-softmax stays on the device,
and `torchaudio.functional.forced_align` (CPU and CUDA kernels; batch size 1 per call,
src/torchaudio/functional/_alignment.py) aligns each chunk's characters where its emission lies.

Chunks share a padded wav2vec2 pass only where padding cannot change their emissions. The group-norm
models (torchaudio's WAV2VEC2_ASR_BASE_960H, the English default, and the VoxPopuli base models for
fr/de/es/it) normalise their first convolution over the whole input, padding included, and no mask
reaches that layer: a chunk padded to a longer neighbour gets other emissions, so other word times,
depending on who shared its batch. Those models see each chunk at its own length (chunks of equal
length still share a pass). Layer-norm Hugging Face models trained with attention masks
(`feat_extract_norm == "layer"`) take the padded batch with a mask.

The alignment models themselves still come from `whisperx.load_align_model` (torchaudio bundles for
en/fr/de/es/it, Hugging Face wav2vec2 for the others; ValueError for a language without one). English
is loaded at start; a model that fails to load (a download that timed out) is tried again after a
back-off, never written off; only "no default model for this language" is final.
Anything that goes wrong for one chunk leaves that chunk unaligned (its text intact, aligned=False);
a pass over several chunks that fails (out of memory) is retried one chunk at a time. A CUDA error
that may have poisoned the device is not caught here (device_errors.py).
"""
from __future__ import annotations

import sys
import time
import traceback
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Sequence, Set, Tuple

import numpy as np

from . import Segment, Word
from ..device_errors import raise_if_device_error

SAMPLE_RATE = 16000
# wav2vec2 needs at least one 400-sample window (whisperx pads shorter segments to 400 too).
MIN_SAMPLES = 400
# Languages written without spaces: every character is a word (whisperx LANGUAGES_WITHOUT_SPACES).
UNSPACED = ("ja", "zh")
# whisperx 3.8.4 whisperx/alignment.py load_align_model: the one failure that is a fact about the
# release (no default model for the language), not about this moment (network, disk).
NO_DEFAULT_MODEL = "No default align-model for language"
# A model that failed to load is tried again after this, doubling per failure up to the maximum.
RETRY_AFTER_S = 30.0
MAX_RETRY_AFTER_S = 600.0


@dataclass
class Span:
    """One aligned target token: frames [start, end) of the emission, mean probability."""

    start: int
    end: int
    score: float


def align_targets(text: str, dictionary: Dict[str, int], language: str) -> Tuple[List[int], List[int]]:
    """The CTC targets for `text` and, for each, the index of its character in `text`.

    Characters the model has no label for (digits, symbols) are skipped; their words get times from
    their neighbours. Spaces become the word separator "|" when the model has one.
    """
    tokens: List[int] = []
    positions: List[int] = []
    spaced = language not in UNSPACED
    start = len(text) - len(text.lstrip())
    end = len(text.rstrip())
    for i in range(start, end):
        ch = text[i].lower()
        if ch == " ":
            # One separator between words, however many spaces or skipped symbols lie between.
            if not spaced or "|" not in dictionary or not tokens or tokens[-1] == dictionary["|"]:
                continue
            ch = "|"
        code = dictionary.get(ch)
        if code is None:
            continue
        tokens.append(code)
        positions.append(i)
    return tokens, positions


def blank_id(dictionary: Dict[str, int]) -> int:
    """whisperx: 0 unless the vocabulary has a [pad]/<pad> token (Hugging Face models)."""
    for char, code in dictionary.items():
        if char in ("[pad]", "<pad>"):
            return code
    return 0


def words_from_spans(text: str, positions: Sequence[int], spans: Sequence[Span], seconds_per_frame: float, language: str) -> List[Word]:
    """Words of `text` with times from the spans of their characters; a word with no aligned
    character (e.g. "2024") sits between its neighbours."""
    by_char = {pos: span for pos, span in zip(positions, spans)}
    words: List[Tuple[str, Optional[float], Optional[float], float]] = []
    if language in UNSPACED:
        pieces = [(i, i + 1) for i, ch in enumerate(text) if not ch.isspace()]
    else:
        pieces, i = [], 0
        for token in text.split(" "):
            if token:
                pieces.append((i, i + len(token)))
            i += len(token) + 1
    for a, b in pieces:
        aligned = [by_char[k] for k in range(a, b) if k in by_char]
        if aligned:
            score = float(np.mean([s.score for s in aligned]))
            words.append((text[a:b], aligned[0].start * seconds_per_frame, aligned[-1].end * seconds_per_frame, score))
        else:
            words.append((text[a:b], None, None, 0.0))
    out: List[Word] = []
    for k, (w, start, end, score) in enumerate(words):
        if start is None or end is None:
            prev_end = next((words[j][2] for j in range(k - 1, -1, -1) if words[j][2] is not None), 0.0)
            next_start = next((words[j][1] for j in range(k + 1, len(words)) if words[j][1] is not None), prev_end)
            start, end = prev_end, max(prev_end, next_start)
        out.append(Word(w, round(float(start), 3), round(float(end), 3), round(score, 3)))
    return out


def padding_safe(model: Any, metadata: Dict[str, Any]) -> bool:
    """Whether chunks of different lengths may share one padded pass through this alignment model."""
    return metadata.get("type") == "huggingface" and getattr(getattr(model, "config", None), "feat_extract_norm", "") == "layer"


def emission_groups(lengths: Sequence[int], padded: bool) -> List[List[int]]:
    """Indices of the chunks that go through the model together: all at once when padding is safe,
    else only chunks of the same length (no chunk is padded to another's length)."""
    if padded:
        return [list(range(len(lengths)))] if lengths else []
    groups: Dict[int, List[int]] = {}
    for i, n in enumerate(lengths):
        groups.setdefault(n, []).append(i)
    return list(groups.values())


def _log(what: str) -> None:
    print(what, file=sys.stderr)
    traceback.print_exc(file=sys.stderr)


Row = Tuple[int, List[int], List[int]]  # chunk index, CTC targets, their character positions


class BatchAligner:
    """Alignment models loaded once per language, applied per batch."""

    def __init__(self, torch: Any, whisperx: Any, device: str, model_dir: str = "", clock: Callable[[], float] = time.monotonic) -> None:
        self._torch = torch
        self._whisperx = whisperx
        self._device = device
        self._model_dir = model_dir or None
        self._clock = clock
        self._models: Dict[str, Tuple[Any, Dict[str, Any]]] = {}
        self._no_model: Set[str] = set()
        # language -> (failures in a row, clock time of the next attempt)
        self._failures: Dict[str, Tuple[int, float]] = {}
        import torchaudio.functional as taf  # the CTC kernel; whisperx itself depends on torchaudio

        self._forced_align = taf.forced_align
        self._merge_tokens = taf.merge_tokens

    def preload(self, language: str) -> bool:
        """Loads the language's model now (at start, so the first request does not wait for it)."""
        return self._model(language) is not None

    def _model(self, language: str) -> Optional[Tuple[Any, Dict[str, Any]]]:
        loaded = self._models.get(language)
        if loaded is not None or language in self._no_model:
            return loaded
        failed = self._failures.get(language)
        if failed is not None and self._clock() < failed[1]:
            return None
        try:
            loaded = self._whisperx.load_align_model(language_code=language, device=self._device, model_dir=self._model_dir)
        except Exception as exc:
            raise_if_device_error(exc)
            if NO_DEFAULT_MODEL in str(exc):
                print(f"no alignment model for language {language!r}; its chunks stay unaligned", file=sys.stderr)
                self._no_model.add(language)
                return None
            count = failed[0] + 1 if failed is not None else 1
            delay = min(MAX_RETRY_AFTER_S, RETRY_AFTER_S * 2 ** (count - 1))
            self._failures[language] = (count, self._clock() + delay)
            _log(f"cannot load the alignment model for language {language!r} (failure {count} in a row); its chunks stay unaligned; trying again in {delay:.0f} s")
            return None
        self._failures.pop(language, None)
        self._models[language] = loaded
        return loaded

    def align(self, chunks: Sequence[np.ndarray], texts: Sequence[str], language: str) -> List[Optional[List[Word]]]:
        """Words per chunk, or None where the chunk could not be aligned."""
        out: List[Optional[List[Word]]] = [None] * len(chunks)
        loaded = self._model(language)
        if loaded is None:
            return out
        model, metadata = loaded
        dictionary: Dict[str, int] = metadata["dictionary"]
        blank = blank_id(dictionary)
        todo = [(i, *align_targets(t, dictionary, language)) for i, t in enumerate(texts)]
        rows: List[Row] = [(i, tokens, positions) for i, tokens, positions in todo if tokens and blank not in tokens]
        lengths = [max(len(chunks[i]), MIN_SAMPLES) for i, _, _ in rows]
        for group in emission_groups(lengths, padding_safe(model, metadata)):
            together = [rows[k] for k in group]
            try:
                self._align_rows(model, metadata, together, chunks, texts, language, blank, out)
            except Exception as exc:
                raise_if_device_error(exc)
                if len(together) == 1:
                    _log(f"alignment failed for one chunk ({language}); it stays unaligned")
                    continue
                # An out-of-memory (or any failure of the shared pass) costs the words, never the text.
                _log(f"alignment of {len(together)} chunks ({language}) failed in one pass; aligning them one at a time")
                for row in together:
                    try:
                        self._align_rows(model, metadata, [row], chunks, texts, language, blank, out)
                    except Exception as inner:
                        raise_if_device_error(inner)
                        _log(f"alignment failed for one chunk ({language}); it stays unaligned")
        return out

    def _align_rows(self, model: Any, metadata: Dict[str, Any], rows: Sequence[Row], chunks: Sequence[np.ndarray], texts: Sequence[str], language: str, blank: int, out: List[Optional[List[Word]]]) -> None:
        """One wav2vec2 pass over the rows' chunks (raises if it fails), then one forced alignment per chunk."""
        emissions, frames = self._emissions(model, metadata, [chunks[i] for i, _, _ in rows])
        torch = self._torch
        for row, (i, tokens, positions) in enumerate(rows):
            try:
                n = int(frames[row])
                emission = emissions[row : row + 1, :n]
                targets = torch.tensor([tokens], dtype=torch.int32, device=emission.device)
                paths, scores = self._forced_align(emission, targets, blank=blank)
                spans = [Span(s.start, s.end, s.score) for s in self._merge_tokens(paths[0], scores[0].exp(), blank=blank)]
                if len(spans) != len(tokens):
                    continue
                seconds_per_frame = max(len(chunks[i]), MIN_SAMPLES) / SAMPLE_RATE / max(n, 1)
                out[i] = words_from_spans(texts[i], positions, spans, seconds_per_frame, language)
            except Exception as exc:  # e.g. more characters than frames: this chunk stays unaligned
                raise_if_device_error(exc)
                _log(f"alignment failed for one chunk ({language})")

    def _emissions(self, model: Any, metadata: Dict[str, Any], chunks: Sequence[np.ndarray]) -> Tuple[Any, List[int]]:
        """(B, T, C) log-probabilities on the device for the chunks (zero-padded to the longest, which
        emission_groups allows only where it is safe), and each chunk's frame count."""
        torch = self._torch
        lengths = [max(len(c), MIN_SAMPLES) for c in chunks]
        batch = np.zeros((len(chunks), max(lengths)), dtype=np.float32)
        for k, c in enumerate(chunks):
            batch[k, : len(c)] = c
        waveforms = torch.from_numpy(batch).to(self._device)
        lengths_t = torch.tensor(lengths, device=self._device)
        with torch.inference_mode():
            if metadata.get("type") == "torchaudio":
                # `lengths` masks the transformer's attention; below 400 samples it marks whisperx's minimum-length padding.
                logits, out_lengths = model(waveforms, lengths=lengths_t)
                frames = out_lengths.tolist() if out_lengths is not None else [logits.shape[1]] * len(chunks)
            else:
                kwargs = {}
                if padding_safe(model, metadata):
                    mask = torch.arange(batch.shape[1], device=self._device)[None, :] < lengths_t[:, None]
                    kwargs["attention_mask"] = mask.long()
                logits = model(waveforms, **kwargs).logits
                frames = model._get_feat_extract_output_lengths(lengths_t).tolist()
            emissions = torch.log_softmax(logits.float(), dim=-1)
        return emissions, [min(int(f), emissions.shape[1]) for f in frames]


def aligned_segments(words: List[Word], text: str, duration: float) -> List[Segment]:
    """One segment per chunk (a chunk is at most 30 s), spanning its words."""
    if not words:
        return [Segment(0.0, duration, text)]
    return [Segment(words[0].start, max(words[-1].end, words[0].start), text, words)]
