"""Whisper log-mel features for a whole batch at once, computed on the GPU.

whisperX's `FasterWhisperPipeline.preprocess` computes one chunk at a time on the CPU
(`log_mel_spectrogram(audio, n_mels, padding=N_SAMPLES - len)`, whisperx/asr.py), and its
`log_mel_spectrogram` clamps with `log_spec.max() - 8.0` over the whole tensor (whisperx/audio.py):
fed a stacked batch it would clamp every chunk against the loudest chunk of the batch, so a quiet
caller's features would depend on who shared the batch. This does the same arithmetic for the
stacked batch in one STFT on the device, with the clamp per chunk.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

SAMPLE_RATE = 16000
N_FFT = 400
HOP_LENGTH = 160
N_SAMPLES = 30 * SAMPLE_RATE  # Whisper's 30 s window: 3000 frames


def stack_padded(chunks: Sequence[np.ndarray], length: int = N_SAMPLES) -> np.ndarray:
    """(B, length) float32: each chunk trimmed or zero-padded on the right, as whisperX pads."""
    out = np.zeros((len(chunks), length), dtype=np.float32)
    for i, chunk in enumerate(chunks):
        n = min(len(chunk), length)
        out[i, :n] = chunk[:n]
    return out


def batched_log_mel(torch: Any, chunks: Sequence[np.ndarray], filters: Any, device: str) -> Any:
    """(B, n_mels, 3000) float32 tensor on `device`. `filters` is the (n_mels, 201) mel filterbank
    (whisperx.audio.mel_filters(device, n_mels)); `torch` is passed in so this module imports nothing heavy."""
    audio = torch.from_numpy(stack_padded(chunks))
    if device.startswith("cuda"):
        audio = audio.pin_memory().to(device, non_blocking=True)
    window = torch.hann_window(N_FFT, device=audio.device)
    stft = torch.stft(audio, N_FFT, HOP_LENGTH, window=window, return_complex=True)
    magnitudes = stft[..., :-1].abs() ** 2
    mel = filters.to(device=audio.device, dtype=magnitudes.dtype) @ magnitudes
    log_spec = torch.clamp(mel, min=1e-10).log10()
    log_spec = torch.maximum(log_spec, log_spec.amax(dim=(-2, -1), keepdim=True) - 8.0)
    return ((log_spec + 4.0) / 4.0).contiguous()
