"""Trains the CPU diarizer's speaker-embedding network (callscribe_worker/diarizers/speaker_embedding.py)
on the TRAIN readers of the real-voice set only (dev/corpus/real-voices.ts splits by reader: dev and
test readers never reach this script), on CPU: about 20 minutes on two cores.

Needs torch (CPU build) beside numpy/scipy; the worker itself never imports it. The shipped weights:

  node dist/dev/corpus/write-real-conversations.js /tmp/cs-real            # writes readers.json
  python3 dev/train-speaker-embedding.py /tmp/speaker-embedding.npz /tmp/cs-real/readers.json ../shared/data/librispeech-voices
  # then dev/fit-embedding-space.py adds the projection the worker applies on top

More (listing, folder) pairs add speakers: `speakers.json` of dev/corpus/write-espeak-speakers.js adds
espeak-ng voices. EMBED_ROOM=1 also keeps every utterance in a reverberant room (each crop takes the
phone line or the room at random); EMBED_INIT=weights.npz fine-tunes from earlier weights;
EMBED_PITCH_CENTS=-250,0,250 makes each speed three speakers by pitch; EMBED_SPEEDS=0.85,...,1.15 sets
the speeds; EMBED_MASK=1 blanks a random band of mels and a random stretch of frames in every crop
(SpecAugment). None is in the shipped recipe: with 48 or 144 espeak speakers and the room the network
told espeak-ng voices apart better but real ones worse, the pitch-shifted speakers did not help, and
seven speeds with masks (5000 or 8000 steps) told espeak-ng voices apart better without hearing any,
but real ones no better (docs/diarization.md, "The count, third pass" and "fourth pass").

151 readers are few for a speaker network, so each one is also heard at four other speeds (sox
`speed`: pitch and formants move together, as with a longer or shorter vocal tract), and each speed
counts as its own speaker (755 classes), a standard trick for small speaker sets. Every utterance goes
through the telephone band and 8 kHz mu-law, as the conversations do. Each training crop (1-2 s, the
diarizer's pieces are ~1 s) gets line hiss at a random level, a random smooth tilt of the spectrum (a
different phone or line) and a random level, so none of those can tell speakers apart.

Loss: additive angular margin softmax (ArcFace; scale 30, margin 0.2), 5000 steps of 96 crops, one
cycle of learning rate. Fixed seeds, sorted inputs, two threads.
"""
from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "services", "transcriber", "worker"))

from callscribe_worker.diarizers.speaker_embedding import FILTERBANK, MELS  # noqa: E402
from callscribe_worker.diarizers.voice_features import WINDOW  # noqa: E402

SPEEDS = tuple(float(v) for v in os.environ.get("EMBED_SPEEDS", "0.88,0.94,1.0,1.06,1.12").split(","))
CHANNELS = int(os.environ.get("EMBED_CHANNELS", "128"))
DIMS = 128
STEPS = int(os.environ.get("EMBED_STEPS", "5000"))
# SpecAugment-style masks: one band of up to 6 mels and one stretch of up to 20 frames per crop set to the crop's mean.
MASK = os.environ.get("EMBED_MASK", "") == "1"
ROOM = os.environ.get("EMBED_ROOM", "") == "1"
# Pitch shifts in cents (sox `pitch`, tempo kept) applied on top of each speed, each its own speaker.
PITCHES = tuple(int(c) for c in os.environ.get("EMBED_PITCH_CENTS", "0").split(","))
BATCH = 96
HOP, FRAME, NFFT = 160, 400, 512


def channels(path: str, speed: float, cents: int = 0) -> tuple:
    """The utterance at this speed (and pitch shift) through a phone line, and in a room when
    EMBED_ROOM=1 (16 kHz)."""
    # -D: no dither, so the same inputs give the same audio.
    shift = ["pitch", str(cents)] if cents else []
    phone = subprocess.run(["sox", "-D", path, "-t", "wav", "-r", "8000", "-e", "mu-law", "-c", "1", "-", "speed", str(speed), *shift, "sinc", "300-3400"], check=True, capture_output=True).stdout
    variants = [phone]
    if ROOM:
        variants.append(subprocess.run(["sox", "-D", path, "-t", "wav", "-r", "16000", "-c", "1", "-", "speed", str(speed), "reverb", "40", "50", "60"], check=True, capture_output=True).stdout)
    out = []
    for wav in variants:
        raw = subprocess.run(["sox", "-D", "-t", "wav", "-", "-t", "f32", "-r", "16000", "-c", "1", "-"], input=wav, check=True, capture_output=True).stdout
        x = np.frombuffer(raw, dtype=np.float32).copy()
        out.append(x * (0.08 / (np.sqrt((x**2).mean()) + 1e-9)))
    return tuple(out)


class Net(nn.Module):
    """The TDNN of speaker_embedding.py: conv -> ReLU -> batch norm, x4; mean+std pooling; linear."""

    def __init__(self) -> None:
        super().__init__()
        spec = [(MELS, CHANNELS, 5, 1), (CHANNELS, CHANNELS, 3, 2), (CHANNELS, CHANNELS, 3, 3), (CHANNELS, 2 * CHANNELS, 1, 1)]
        self.convs = nn.ModuleList(nn.Conv1d(i, o, k, dilation=d, padding=d * (k - 1) // 2) for i, o, k, d in spec)
        self.norms = nn.ModuleList(nn.BatchNorm1d(o) for _, o, _, _ in spec)
        self.embed = nn.Linear(4 * CHANNELS, DIMS)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: (batch, MELS, frames)
        for conv, norm in zip(self.convs, self.norms):
            x = norm(F.relu(conv(x)))
        stats = torch.cat([x.mean(dim=2), torch.sqrt(x.var(dim=2, unbiased=False) + 1e-5)], dim=1)
        return self.embed(stats)


class ArcFace(nn.Module):
    def __init__(self, classes: int, scale: float = 30.0, margin: float = 0.2) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(classes, DIMS) * 0.01)
        self.scale, self.margin = scale, margin

    def forward(self, e: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        cos = F.linear(F.normalize(e), F.normalize(self.weight)).clamp(-1 + 1e-7, 1 - 1e-7)
        theta = torch.acos(cos.gather(1, y[:, None]))
        target = torch.cos(theta + self.margin)
        logits = cos.scatter(1, y[:, None], target) * self.scale
        return F.cross_entropy(logits, y)


_FB = torch.from_numpy(FILTERBANK)
_WIN = torch.from_numpy(WINDOW)


def log_mel(wave: torch.Tensor) -> torch.Tensor:
    """(batch, samples) -> (batch, MELS, frames), as speaker_embedding.log_mel computes it."""
    frames = wave.unfold(1, FRAME, HOP) * _WIN
    power = torch.fft.rfft(frames, n=NFFT, dim=2).abs() ** 2
    return torch.log(power @ _FB.T + 1e-6).transpose(1, 2)


def batch(audio: list, rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    frames = int(rng.integers(100, 201))
    samples = (frames - 1) * HOP + FRAME
    y = rng.integers(0, len(audio), BATCH)
    waves = np.zeros((BATCH, samples), dtype=np.float32)
    for i, c in enumerate(y):
        x = audio[c][int(rng.integers(0, len(audio[c])))] if len(audio[c]) > 1 else audio[c][0]
        at = int(rng.integers(0, max(1, len(x) - samples)))
        crop = x[at : at + samples]
        waves[i, : len(crop)] = crop
        waves[i] += rng.normal(0, 1, samples).astype(np.float32) * 0.08 * 10 ** (-rng.uniform(20, 45) / 20)
    mel = log_mel(torch.from_numpy(waves))
    mel = mel - mel.mean(dim=(1, 2), keepdim=True)
    band = torch.linspace(-1, 1, MELS)
    tilt = torch.from_numpy(rng.uniform(-0.7, 0.7, (BATCH, 2)).astype(np.float32))
    mel = mel + (tilt[:, :1] * band + tilt[:, 1:] * torch.cos(math.pi * band))[:, :, None]
    mel = mel + torch.from_numpy(rng.uniform(-1.0, 1.0, (BATCH, 1, 1)).astype(np.float32))
    if MASK:
        for i in range(BATCH):
            f0, fw = int(rng.integers(0, MELS)), int(rng.integers(0, 7))
            t0, tw = int(rng.integers(0, frames)), int(rng.integers(0, 21))
            fill = mel[i].mean()
            mel[i, f0 : f0 + fw, :] = fill
            mel[i, :, t0 : t0 + tw] = fill
    return mel, torch.from_numpy(y)


def main() -> None:
    out, sources = sys.argv[1], sys.argv[2:]
    torch.manual_seed(22)
    torch.set_num_threads(2)
    rng = np.random.default_rng(22)
    audio = []
    for listing, folder in zip(sources[::2], sources[1::2]):
        with open(listing) as f:
            speakers = sorted((r for r in json.load(f) if r["split"] == "train"), key=lambda r: r["id"])
        audio += [channels(os.path.join(folder, r["file"]), s, c) for r in speakers for s in SPEEDS for c in PITCHES]
        print(f"{listing}: {len(speakers)} train speakers x {len(SPEEDS)} speeds x {len(PITCHES)} pitches", flush=True)
    print(f"{len(audio)} classes, {sum(len(a[0]) for a in audio) / 16000 / 60:.0f} min each way", flush=True)
    net, head = Net(), ArcFace(len(audio))
    start = os.environ.get("EMBED_INIT", "")
    if start:
        load(net, start)
    opt = torch.optim.Adam(list(net.parameters()) + list(head.parameters()), lr=2e-3, weight_decay=1e-5)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=2e-3, total_steps=STEPS, pct_start=0.1)
    started, running = time.time(), 0.0
    for step in range(1, STEPS + 1):
        x, y = batch(audio, rng)
        net.train()
        if start:  # fine-tuning: batch norm stays the saved affine map
            for norm in net.norms:
                norm.eval()
        loss = head(net(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        running = 0.98 * running + 0.02 * float(loss) if step > 1 else float(loss)
        if step % 100 == 0:
            print(f"step {step}/{STEPS} loss {running:.3f} {time.time() - started:.0f} s", flush=True)
    save(net, out)


def save(net: Net, out: str) -> None:
    net.eval()
    w = {}
    for i, (conv, norm) in enumerate(zip(net.convs, net.norms)):
        scale = norm.weight / torch.sqrt(norm.running_var + norm.eps)
        w[f"conv{i}.weight"] = conv.weight.detach().numpy().astype(np.float16)
        w[f"conv{i}.bias"] = conv.bias.detach().numpy().astype(np.float32)
        w[f"conv{i}.dilation"] = np.array(conv.dilation[0])
        w[f"bn{i}.scale"] = scale.detach().numpy().astype(np.float32)
        w[f"bn{i}.shift"] = (norm.bias - norm.running_mean * scale).detach().numpy().astype(np.float32)
    w["embed.weight"] = net.embed.weight.detach().numpy().astype(np.float16)
    w["embed.bias"] = net.embed.bias.detach().numpy().astype(np.float32)
    np.savez_compressed(out, **w)
    add_check(out)
    print(f"wrote {out} ({os.path.getsize(out)} bytes)")


def add_check(out: str) -> None:
    """Stores torch's answer for a fixed input, computed with the weights as saved (float16), so the
    worker's numpy forward pass is tested against torch without torch (tests/test_speaker_embedding.py)."""
    w = dict(np.load(out))
    net = Net()
    load(net, out)
    with torch.no_grad():
        probe = torch.randn(1, MELS, 150, generator=torch.Generator().manual_seed(7))
        e = net(probe)[0].numpy()
    w["check.input"] = probe[0].numpy().T.copy()
    w["check.embedding"] = e / np.linalg.norm(e)
    np.savez_compressed(out, **w)


def load(net: Net, path: str) -> None:
    """The weights as saved, batch norm as its affine map (running statistics 0 and 1), eval mode."""
    w = dict(np.load(path))
    with torch.no_grad():
        for i, (conv, norm) in enumerate(zip(net.convs, net.norms)):
            conv.weight.copy_(torch.from_numpy(w[f"conv{i}.weight"].astype(np.float32)))
            conv.bias.copy_(torch.from_numpy(w[f"conv{i}.bias"]))
            norm.running_mean.zero_()
            norm.running_var.fill_(1.0 - norm.eps)
            norm.weight.copy_(torch.from_numpy(w[f"bn{i}.scale"]))
            norm.bias.copy_(torch.from_numpy(w[f"bn{i}.shift"]))
        net.embed.weight.copy_(torch.from_numpy(w["embed.weight"].astype(np.float32)))
        net.embed.bias.copy_(torch.from_numpy(w["embed.bias"]))
    net.eval()


if __name__ == "__main__":
    if sys.argv[1] == "--check":  # add the check to a weights file written before it existed
        add_check(sys.argv[2])
    else:
        main()
