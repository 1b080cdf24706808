import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { speak } from '#dev/corpus/espeak.js';
import {
  SpeechRegionTracker,
  DEFAULT_REGION_OPTIONS,
  type SpeechRegion,
} from '../services/transcriber/src/speech/speech-regions.js';
import { loadVadModel } from '../services/transcriber/src/speech/vad-model.js';
import { VadScheduler } from '../services/transcriber/src/speech/vad-scheduler.js';

async function regionsOf(vad: VadScheduler, audio: Float32Array, pushSamples: number): Promise<SpeechRegion[]> {
  const regions: SpeechRegion[] = [];
  const tracker = new SpeechRegionTracker(DEFAULT_REGION_OPTIONS, (r) => regions.push(r));
  await new Promise<void>((resolve, reject) => {
    const stream = vad.openStream({
      onProbs: (first, probs) => tracker.push(first, probs),
      onDone: () => {
        tracker.end(audio.length);
        resolve();
      },
      onError: reject,
    });
    for (let i = 0; i < audio.length; i += pushSamples) stream.push(audio.subarray(i, i + pushSamples));
    stream.end();
  });
  return regions;
}

const overlap = (a: SpeechRegion[], b: SpeechRegion[]) => {
  let both = 0;
  for (const x of a) for (const y of b) both += Math.max(0, Math.min(x.end, y.end) - Math.max(x.start, y.start));
  const total = Math.max(
    a.reduce((n, r) => n + r.end - r.start, 0),
    b.reduce((n, r) => n + r.end - r.start, 0),
  );
  return both / total;
};

describe('Silero VAD scheduler', async () => {
  const model = await loadVadModel();
  const speech = await speak('The quick brown fox jumps over the lazy dog.', 'en-us+f2');
  // speech, 3 s of silence, speech, 3 s silence, speech
  const gap = new Float32Array(48000);
  const audio = new Float32Array(speech.length * 3 + gap.length * 2);
  audio.set(speech, 0);
  audio.set(speech, speech.length + gap.length);
  audio.set(speech, 2 * (speech.length + gap.length));

  it('finds the three utterances and nothing in the silences', async () => {
    const regions = await regionsOf(new VadScheduler(model), audio, 4000);
    assert.ok(regions.length >= 3 && regions.length <= 6, `${regions.length} regions`);
    for (const r of regions) {
      const inGap = [speech.length, 2 * speech.length + gap.length].some(
        (g) => r.start >= g + 8000 && r.end <= g + gap.length - 8000,
      );
      assert.ok(!inGap, `region inside a silence: ${JSON.stringify(r)}`);
    }
    assert.equal((await regionsOf(new VadScheduler(model), new Float32Array(48000), 4000)).length, 0);
  });

  it('gives the same regions when a stream is split into parallel lanes', async () => {
    const single = await regionsOf(
      new VadScheduler(model, { laneWindows: 1e9, warmupWindows: 0, maxBatch: 64 }),
      audio,
      audio.length,
    );
    const lanes = new VadScheduler(model, { laneWindows: 32, warmupWindows: 16, maxBatch: 64 });
    const split = await regionsOf(lanes, audio, audio.length);
    assert.ok(
      lanes.batches < lanes.windows / 4,
      `lanes ran side by side: ${lanes.windows} windows in ${lanes.batches} batches`,
    );
    assert.ok(overlap(single, split) > 0.95, `overlap ${overlap(single, split)}`);
  });

  it('batches windows of concurrent streams together', async () => {
    const vad = new VadScheduler(model, { laneWindows: 1e9, warmupWindows: 0, maxBatch: 64 });
    const results = await Promise.all(Array.from({ length: 8 }, () => regionsOf(vad, audio, 2048)));
    for (const r of results) assert.deepEqual(r, results[0]);
    assert.ok(vad.windows / vad.batches > 2, `mean batch ${vad.windows / vad.batches}`);
  });
});

describe('speech regions', () => {
  it('cuts speech that never pauses at maxSpeechMs, so its audio can be released as it goes', () => {
    const regions: SpeechRegion[] = [];
    const tracker = new SpeechRegionTracker({ ...DEFAULT_REGION_OPTIONS, maxSpeechMs: 1000 }, (r) => regions.push(r));
    // 3.5 s of windows (512 samples each) all above the threshold, then the stream ends.
    const windows = Math.ceil((3.5 * 16000) / 512);
    tracker.push(0, new Float32Array(windows).fill(0.9));
    assert.equal(regions.length, 3, JSON.stringify(regions));
    tracker.end(windows * 512);
    assert.equal(regions.length, 4);
    for (const [i, r] of regions.entries()) {
      assert.ok(r.end - r.start <= 16000 + 512, `region ${i} is ${r.end - r.start} samples`);
      if (i > 0) assert.equal(r.start, regions[i - 1]?.end, 'no audio falls between the cuts');
    }
  });
});
