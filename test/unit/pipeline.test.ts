import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Segment } from '#gen/callscribe/v1/transcript.js';
import { Chunker, chunkTimeToSource, type SpeechChunk } from '../../services/transcriber/src/chunks/chunker.js';
import { chunkSegments } from '../../services/transcriber/src/chunks/chunk-segments.js';
import type { TrackEvent } from '../../services/transcriber/src/chunks/chunk-transcription.js';
import { mergeByTime } from '../../services/transcriber/src/chunks/time-ordered-merge.js';

const segment = (startSec: number, text = `at ${startSec}`): Segment => ({
  startSec,
  endSec: startSec + 0.5,
  text,
  words: [],
  unaligned: false,
  speaker: '',
  channel: 0,
});

/** A track whose events the test hands out one at a time, so ordering is decided by the test alone. */
function scriptedTrack() {
  const waiting: Array<(r: IteratorResult<TrackEvent>) => void> = [];
  const queued: Array<IteratorResult<TrackEvent>> = [];
  const give = (r: IteratorResult<TrackEvent>) => {
    const w = waiting.shift();
    if (w !== undefined) w(r);
    else queued.push(r);
  };
  return {
    iterable: {
      [Symbol.asyncIterator]: (): AsyncIterator<TrackEvent> => ({
        next: () => {
          const r = queued.shift();
          return r !== undefined ? Promise.resolve(r) : new Promise((resolve) => waiting.push(resolve));
        },
        return: () => Promise.resolve({ done: true, value: undefined }),
      }),
    },
    segments: (...s: Segment[]) => give({ done: false, value: { kind: 'segments', segments: s } }),
    settled: (sec: number) => give({ done: false, value: { kind: 'settled', sec } }),
    end: () => give({ done: true, value: undefined }),
  };
}

describe('chunker', () => {
  it('packs padded regions into chunks of at most maxSamples and maps chunk time back to source time', () => {
    const chunks: SpeechChunk[] = [];
    const chunker = new Chunker(16000 * 3, 1600, (c) => chunks.push(c));
    chunker.addRegion({ start: 16000, end: 32000 }, 160000);
    chunker.addRegion({ start: 64000, end: 80000 }, 160000);
    assert.equal(chunks.length, 0, 'two 1.2 s padded regions fit in one 3 s chunk');
    chunker.addRegion({ start: 120000, end: 136000 }, 160000);
    assert.equal(chunks.length, 1, 'the third region starts a new chunk rather than being split');
    chunker.end();
    assert.equal(chunks.length, 2);
    const first = chunks[0] as SpeechChunk;
    assert.deepEqual(first.pieces, [
      { start: 14400, end: 33600 },
      { start: 62400, end: 81600 },
    ]);
    // 1.5 s into the joined audio is 0.3 s into the second piece.
    assert.equal(chunkTimeToSource(first, 1.5), (62400 + 0.3 * 16000) / 16000);
  });

  it('cuts a region longer than a chunk at the limit', () => {
    const chunks: SpeechChunk[] = [];
    const chunker = new Chunker(16000, 0, (c) => chunks.push(c));
    chunker.addRegion({ start: 0, end: 40000 }, 40000);
    chunker.end();
    assert.deepEqual(
      chunks.map((c) => c.samples),
      [16000, 16000, 8000],
    );
  });
});

describe('chunk segments', () => {
  const chunk: SpeechChunk = {
    index: 0,
    pieces: [
      { start: 16000, end: 32000 },
      { start: 64000, end: 80000 },
    ],
    samples: 32000,
  };
  const owner = { speaker: '', channel: 0 };

  it('regroups words at region boundaries, in source time', () => {
    const words = [
      { text: 'hello', start: 0.1, end: 0.5, confidence: 0.9 },
      { text: 'there', start: 1.2, end: 1.6, confidence: 0.8 },
    ];
    const out = chunkSegments(chunk, [{ start: 0.1, end: 1.6, text: 'hello there', words }], owner);
    assert.deepEqual(
      out.map((s) => [s.text, s.startSec, s.unaligned]),
      [
        ['hello', 1.1, false],
        ['there', 4.2, false],
      ],
    );
  });

  it('keeps the text of a chunk the engine could not align, flagged, without words', () => {
    const out = chunkSegments(chunk, [{ start: 0, end: 2, text: 'hello there', words: [] }], owner, false);
    assert.equal(out.length, 1);
    assert.equal(out[0]?.text, 'hello there');
    assert.equal(out[0]?.unaligned, true);
    assert.deepEqual([out[0]?.startSec, out[0]?.endSec], [1, 5]);
  });
});

describe('time-ordered merge', () => {
  it('holds a segment until every other track has a later one or is settled past it', async () => {
    const a = scriptedTrack();
    const b = scriptedTrack();
    const merged = mergeByTime([a.iterable, b.iterable])[Symbol.asyncIterator]();
    a.segments(segment(5));
    let released = false;
    const next = merged.next().then((r) => {
      released = true;
      return r;
    });
    b.settled(2);
    await new Promise<void>((resolve) => setImmediate(resolve));
    assert.equal(released, false, 'track b may still produce something before 5 s');
    b.segments(segment(3));
    assert.equal((await next).value?.startSec, 3);
    b.settled(9);
    assert.equal((await merged.next()).value?.startSec, 5);
    a.end();
    b.end();
    assert.equal((await merged.next()).done, true);
  });

  it('does not let a silent track hold the other back once it is settled', async () => {
    const talking = scriptedTrack();
    const silent = scriptedTrack();
    const merged = mergeByTime([talking.iterable, silent.iterable])[Symbol.asyncIterator]();
    talking.segments(segment(1), segment(2));
    silent.settled(10);
    assert.equal((await merged.next()).value?.startSec, 1);
    assert.equal((await merged.next()).value?.startSec, 2);
    talking.end();
    silent.end();
    assert.equal((await merged.next()).done, true);
  });

  it('passes a failure of any track to the consumer', async () => {
    const broken: AsyncIterable<TrackEvent> = {
      [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(new Error('engine failed')) }),
    };
    const fine = scriptedTrack();
    await assert.rejects(async () => {
      for await (const _ of mergeByTime([broken, fine.iterable])) assert.fail('nothing should come out');
    }, /engine failed/);
  });
});
