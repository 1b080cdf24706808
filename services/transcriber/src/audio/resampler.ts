import libsamplerate from '@alexanderolsen/libsamplerate-js';

// The package is CommonJS without named ESM exports.
const { create, ConverterType } = libsamplerate;
type SRC = Awaited<ReturnType<typeof create>>;

export const TARGET_RATE_HZ = 16000;

// libsamplerate's SINC_FASTEST is still a band-limited sinc (97 dB SNR, 80% bandwidth): ample for
// ASR at a fraction of SINC_BEST's cost. Zeros fed at the end push the filter's tail out.
const FLUSH_FRAMES = 2048;

/** Streaming mono resampler to 16 kHz; keeps filter state between pushes, so chunking is seamless. */
export interface Resampler {
  push(samples: Float32Array): Float32Array;
  flush(): Float32Array;
  dispose(): void;
}

export async function createResampler(inputRateHz: number): Promise<Resampler> {
  if (inputRateHz === TARGET_RATE_HZ) {
    return { push: (x) => x, flush: () => new Float32Array(0), dispose: () => {} };
  }
  const src: SRC = await create(1, inputRateHz, TARGET_RATE_HZ, { converterType: ConverterType.SRC_SINC_FASTEST });
  const ratio = TARGET_RATE_HZ / inputRateHz;
  let inputFrames = 0;
  let outputFrames = 0;
  const push = (x: Float32Array): Float32Array => {
    if (x.length === 0) return x;
    inputFrames += x.length;
    const y = src.full(x);
    outputFrames += y.length;
    return y;
  };
  return {
    push,
    flush() {
      const expected = Math.round(inputFrames * ratio);
      const tail = src.full(new Float32Array(FLUSH_FRAMES));
      const keep = Math.max(0, Math.min(tail.length, expected - outputFrames));
      outputFrames += keep;
      return tail.slice(0, keep);
    },
    dispose: () => src.destroy(),
  };
}
