import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { FinalResult, Segment, Word } from '#gen/callscribe/v1/transcript.js';
import { parseRttm } from '#client/rttm.js';
import { speakerTurns, TURN_GAP_SEC } from '#client/speaker-turns.js';
import { timestamp, toSrt, toVtt } from '#client/subtitles.js';
import { expandInputs } from '../../services/cli/src/input-files.js';
import { formatOutput, toTsv, toTxt } from '../../services/cli/src/output-formats.js';
import { segmentText } from '../../services/cli/src/text-output.js';

const word = (text: string, startSec: number, endSec: number, speaker = '') =>
  Word.fromPartial({ text, startSec, endSec, speaker, confidence: 0.9 });
const segments = [
  Segment.fromPartial({
    startSec: 1,
    endSec: 2.5,
    text: ' hello there',
    speaker: 'SPEAKER_00',
    words: [word('hello', 1, 1.4, 'SPEAKER_00'), word('there', 1.5, 2.5, 'SPEAKER_00')],
  }),
  Segment.fromPartial({
    startSec: 3725.5,
    endSec: 3726,
    text: 'bye\tnow',
    speaker: 'SPEAKER_01',
    words: [word('bye', 3725.5, 3725.7, 'SPEAKER_01'), word('now', 3725.8, 3726, 'SPEAKER_01')],
  }),
];
const result = { segments, final: FinalResult.fromPartial({ language: 'en', audioDurationSec: 3726 }) };

describe('CLI output writers (whisperX layout)', () => {
  it('SRT: numbered cues, hours always, comma decimals, [SPEAKER]: prefix', () => {
    assert.equal(timestamp(3725.5, ','), '01:02:05,500');
    assert.equal(
      toSrt(segments, true),
      '1\n00:00:01,000 --> 00:00:02,500\n[SPEAKER_00]: hello there\n\n2\n01:02:05,500 --> 01:02:06,000\n[SPEAKER_01]: bye\tnow\n',
    );
    // The gateway's OpenAI srt carries no speaker.
    assert.match(toSrt(segments), /^1\n00:00:01,000 --> 00:00:02,500\nhello there\n/);
  });

  it('VTT: the WEBVTT header, dot decimals', () => {
    assert.equal(
      toVtt(segments.slice(0, 1), true),
      'WEBVTT\n\n00:00:01.000 --> 00:00:02.500\n[SPEAKER_00]: hello there\n',
    );
  });

  it('TSV: a header, integer milliseconds, tabs in the text made spaces', () => {
    assert.equal(toTsv(segments), 'start\tend\ttext\n1000\t2500\thello there\n3725500\t3726000\tbye now\n');
  });

  it('TXT: one line per segment, labelled when there is a speaker', () => {
    assert.equal(toTxt(segments), '[SPEAKER_00]: hello there\n[SPEAKER_01]: bye\tnow\n');
    assert.equal(toTxt([{ ...(segments[0] as Segment), speaker: '' }]), 'hello there\n');
  });

  it('JSON: whisperX segments, words and word_segments, language', () => {
    const json = JSON.parse(formatOutput('json', result, 'x')) as {
      segments: { start: number; end: number; speaker: string; words: { word: string; score: number }[] }[];
      word_segments: unknown[];
      language: string;
    };
    assert.equal(json.language, 'en');
    assert.deepEqual(json.segments[0]?.start, 1);
    assert.equal(json.segments[0]?.speaker, 'SPEAKER_00');
    assert.equal(json.segments[0]?.words[1]?.word, 'there');
    assert.equal(json.word_segments.length, 4);
  });

  it("RTTM: the diarizer's own turns when the gateway sends them, not the words'", () => {
    const final = FinalResult.fromPartial({
      language: 'en',
      audioDurationSec: 10,
      speakerTurns: [
        { startSec: 0.8, endSec: 2.9, speaker: 'SPEAKER_00' },
        { startSec: 2.5, endSec: 4, speaker: 'SPEAKER_01' },
      ],
    });
    const turns = parseRttm(formatOutput('rttm', { segments, final }, 'call'));
    assert.deepEqual(
      turns.map((t) => [t.speaker, t.startSec, Number(t.endSec.toFixed(3))]),
      [
        ['SPEAKER_00', 0.8, 2.9],
        ['SPEAKER_01', 2.5, 4],
      ],
    );
  });

  it('RTTM without turns from the gateway: rebuilt from the words, split at pauses, each speaker on their own', () => {
    const turns = parseRttm(formatOutput('rttm', result, 'call'));
    assert.deepEqual(
      turns.map((t) => [t.speaker, t.startSec, t.endSec]),
      [
        ['SPEAKER_00', 1, 2.5],
        ['SPEAKER_01', 3725.5, 3726],
      ],
    );
    // A pause longer than TURN_GAP_SEC inside one segment ends the turn; the segment's bounds would not.
    const paused = Segment.fromPartial({
      startSec: 0,
      endSec: 5,
      speaker: 'A',
      words: [word('one', 0, 1, 'A'), word('two', 1 + TURN_GAP_SEC + 1, 5, 'A')],
    });
    assert.deepEqual(
      speakerTurns([paused]).map((t) => [t.startSec, t.endSec]),
      [
        [0, 1],
        [2 + TURN_GAP_SEC, 5],
      ],
    );
    // Overlapping speakers (two channels) keep their own turns.
    const overlap = speakerTurns([
      Segment.fromPartial({
        startSec: 0,
        endSec: 3,
        speaker: 'A',
        words: [word('a', 0, 1, 'A'), word('b', 1.2, 3, 'A')],
      }),
      Segment.fromPartial({ startSec: 1, endSec: 2, speaker: 'B', words: [word('c', 1, 2, 'B')] }),
    ]);
    assert.deepEqual(
      overlap.map((t) => [t.speaker, t.startSec, t.endSec]),
      [
        ['A', 0, 3],
        ['B', 1, 2],
      ],
    );
    // No words: the segment is the piece.
    assert.deepEqual(speakerTurns([Segment.fromPartial({ startSec: 2, endSec: 4, speaker: 'C' })]), [
      { startSec: 2, endSec: 4, speaker: 'C' },
    ]);
  });

  it('text mode: words beneath their segment with --words', () => {
    const text = segmentText(segments[0] as Segment, true).split('\n');
    assert.equal(text.length, 3);
    assert.match(text[1] as string, /^ {4}00:01\.00 - 00:01\.40 {2}hello \(0\.90\)$/);
    assert.equal(segmentText(segments[0] as Segment, false).split('\n').length, 1);
  });
});

describe('CLI inputs', () => {
  it('expands a folder to its audio files, a quoted pattern to its matches, and names what is missing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'callscribe-inputs-'));
    await mkdir(join(dir, 'calls'));
    for (const f of ['b.wav', 'a.MP3', 'notes.txt', '.hidden.wav']) await writeFile(join(dir, 'calls', f), '');
    const folder = await expandInputs([join(dir, 'calls')]);
    assert.deepEqual(folder, [join(dir, 'calls', 'a.MP3'), join(dir, 'calls', 'b.wav')]);
    const pattern = await expandInputs([join(dir, 'calls', '*.wav'), join(dir, 'calls', '?.MP3')]);
    assert.deepEqual(pattern, [join(dir, 'calls', 'b.wav'), join(dir, 'calls', 'a.MP3')]);
    const missing = await expandInputs([join(dir, 'nope.wav'), join(dir, 'calls', '*.flac')]);
    assert.deepEqual(
      missing.map((m) => (typeof m === 'string' ? m : m.error)),
      [`no such file: ${join(dir, 'nope.wav')}`, `no file matches ${join(dir, 'calls', '*.flac')}`],
    );
  });
});
