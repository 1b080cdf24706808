/**
 * Speech-like audio made in-process, so fast tests can run the real Silero VAD without spawning
 * espeak-ng: a glottal pulse train through three vowel formants, syllables of 140-300 ms each opened
 * by a short noise burst (a consonant). Silero scores it as speech throughout (> 0.5 on every window
 * after the first 30 ms, checked when this was written); it is not intelligible and no engine is
 * expected to read words from it.
 */
const RATE_HZ = 16_000;
/** F1, F2, F3 of seven English vowels (Peterson & Barney averages, Hz). */
const VOWELS: ReadonlyArray<readonly [number, number, number]> = [
  [730, 1090, 2440],
  [270, 2290, 3010],
  [300, 870, 2240],
  [530, 1840, 2480],
  [570, 840, 2410],
  [660, 1720, 2410],
  [440, 1020, 2240],
];

/** A two-pole resonator at `hz` with unit gain at DC. */
function resonate(x: Float32Array, hz: number, bandwidthHz: number): Float32Array {
  const r = Math.exp((-Math.PI * bandwidthHz) / RATE_HZ);
  const c = 2 * r * Math.cos((2 * Math.PI * hz) / RATE_HZ);
  const d = -r * r;
  const gain = 1 - c - d;
  const y = new Float32Array(x.length);
  let y1 = 0;
  let y2 = 0;
  for (let i = 0; i < x.length; i++) {
    const v = gain * (x[i] as number) + c * y1 + d * y2;
    y[i] = v;
    y2 = y1;
    y1 = v;
  }
  return y;
}

/** `seconds` of one synthetic voice at 16 kHz, peak 0.3; the same seed gives the same samples. */
export function syntheticVoice(seconds: number, seed = 1): Float32Array {
  const n = Math.round(seconds * RATE_HZ);
  const out = new Float32Array(n);
  let state = seed;
  const random = () => {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    return state / 0x7fffffff;
  };
  const baseF0 = 100 + 60 * random();
  let phase = 0;
  for (let start = 0; start < n; ) {
    const length = Math.min(Math.round((0.14 + 0.16 * random()) * RATE_HZ), n - start);
    const [f1, f2, f3] = VOWELS[Math.floor(random() * VOWELS.length)] as readonly [number, number, number];
    const consonant = Math.round(length * 0.25);
    const source = new Float32Array(length);
    for (let i = 0; i < length; i++) {
      const at = start + i;
      const f0 = baseF0 * (1.1 - (0.2 * at) / n) * (1 + 0.08 * Math.sin((2 * Math.PI * 3 * at) / RATE_HZ));
      phase = (phase + f0 / RATE_HZ) % 1;
      // Rosenberg glottal pulse: opens over 40% of the period, closes over 20%.
      const pulse =
        phase < 0.4
          ? 0.5 * (1 - Math.cos((Math.PI * phase) / 0.4))
          : phase < 0.6
            ? Math.cos((Math.PI * (phase - 0.4)) / 0.4)
            : 0;
      source[i] = i < consonant ? (random() - 0.5) * 0.6 : pulse + (random() - 0.5) * 0.05;
    }
    // Lip radiation is a first difference.
    for (let i = length - 1; i > 0; i--) source[i] = (source[i] as number) - (source[i - 1] as number);
    const a = resonate(source, f1, 60);
    const b = resonate(source, f2, 90);
    const c = resonate(source, f3, 120);
    for (let i = 0; i < length; i++) {
      const envelope = Math.min(1, i / (0.03 * RATE_HZ), (length - i) / (0.04 * RATE_HZ));
      out[start + i] = ((a[i] as number) + 0.5 * (b[i] as number) + 0.25 * (c[i] as number)) * envelope;
    }
    start += length + Math.round(0.02 * RATE_HZ * random());
  }
  let peak = 0;
  for (const v of out) peak = Math.max(peak, Math.abs(v));
  for (let i = 0; i < n; i++) out[i] = ((out[i] as number) * 0.3) / peak;
  return out;
}

/** Signed 16-bit little-endian PCM of float samples, interleaving the given channels. */
export function pcm16(channels: Float32Array[]): Buffer {
  const frames = channels[0]?.length ?? 0;
  const out = Buffer.alloc(frames * channels.length * 2);
  for (let i = 0; i < frames; i++)
    channels.forEach((samples, c) => {
      const v = Math.max(-1, Math.min(1, samples[i] ?? 0));
      out.writeInt16LE(Math.round(v * 32767), (i * channels.length + c) * 2);
    });
  return out;
}
