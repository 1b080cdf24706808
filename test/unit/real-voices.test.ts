import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { phrases, readers } from '#dev/corpus/real-voices.js';
import { jaccardError } from '../../bench/diarization-quality.js';

const RATE = 16000;

/** Tone bursts of the given seconds, separated by the given pauses, over faint noise. */
function bursts(spans: Array<[number, number]>, seconds: number): Float32Array {
  const x = new Float32Array(seconds * RATE);
  let seed = 1;
  for (let i = 0; i < x.length; i++) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    x[i] = 0.001 * (seed / 2 ** 31 - 0.5);
  }
  for (const [a, b] of spans)
    for (let i = Math.round(a * RATE); i < Math.round(b * RATE); i++)
      x[i] = 0.3 * Math.sin((2 * Math.PI * 200 * i) / RATE);
  return x;
}

describe('real-voice conversations (dev/corpus/real-voices.ts)', () => {
  it('cuts an utterance at its pauses, and joins a piece under 0.5 s to the next', () => {
    const x = bursts(
      [
        [0.2, 2.0],
        [2.4, 2.7],
        [3.0, 5.0],
        [5.05, 6.0],
      ],
      7,
    );
    const cut = phrases(x).map(([a, b]) => [a / RATE, b / RATE]);
    // 2.0-2.4 is a pause; 2.4-2.7 is too short alone and joins 3.0-6.0 (5.0-5.05 is no pause).
    assert.deepEqual(
      cut.map(([a, b]) => [Math.round((a as number) * 10) / 10, Math.round((b as number) * 10) / 10]),
      [
        [0.2, 2.0],
        [2.4, 6.0],
      ],
    );
  });

  it('splits readers by reader, deterministically, half of each split per sex; null without the folder', async () => {
    assert.equal(await readers(join(tmpdir(), 'callscribe-no-such-voices')), null);
    const dir = mkdtempSync(join(tmpdir(), 'callscribe-voices-'));
    const rows = Array.from(
      { length: 40 },
      (_, i) => `${100 + i} | ${i % 2 === 0 ? 'F' : 'M'} | train-clean-100 | 25 | R`,
    );
    writeFileSync(join(dir, 'speakers.txt'), `;ID | SEX | SUBSET | MINUTES | NAME\n${rows.join('\n')}\n`);
    for (let i = 0; i < 40; i++) writeFileSync(join(dir, `${100 + i}-1-0000.flac`), '');
    const a = await readers(dir);
    const b = await readers(dir);
    assert.ok(a !== null);
    assert.deepEqual(a, b);
    const count = (split: string, sex: string) => a.filter((r) => r.split === split && r.sex === sex).length;
    for (const sex of ['F', 'M'])
      assert.deepEqual([count('train', sex), count('dev', sex), count('test', sex)], [12, 4, 4]);
    assert.equal(new Set(a.map((r) => r.id)).size, 40);
  });
});

describe('JER (bench/diarization-quality.ts)', () => {
  const turn = (speaker: string, startSec: number, endSec: number) => ({ speaker, startSec, endSec });
  it('is 0 for a perfect answer under other names, and counts each missed speaker as 1', () => {
    const ref = [turn('A', 0, 10), turn('B', 10, 12)];
    assert.equal(jaccardError(ref, [turn('x', 0, 10), turn('y', 10, 12)]), 0);
    // One hypothesis speaker for both: A maps to it (0.83 shared), B to none (1).
    assert.ok(Math.abs(jaccardError(ref, [turn('x', 0, 12)]) - (1 - 10 / 12 + 1) / 2) < 1e-9);
  });
});
