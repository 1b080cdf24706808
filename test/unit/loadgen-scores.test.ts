import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Turn } from '#client/rttm.js';
import { diarizationErrorRate } from '../../loadgen/src/metrics/der.js';
import { maxWeightAssignment } from '../../loadgen/src/metrics/hungarian.js';
import { normalizeWords, wordErrorRate } from '../../loadgen/src/metrics/wer.js';

describe('WER text normalisation (Whisper English normaliser conventions)', () => {
  it('keeps letters of every script and folds diacritics', () => {
    assert.deepEqual(normalizeWords('Café niño'), ['cafe', 'nino']);
    assert.deepEqual(normalizeWords('Привет, мир!'), ['привет', 'мир']);
    assert.deepEqual(normalizeWords('Straße, Æsir'), ['strasse', 'aesir']);
  });

  it('writes numbers, money and percentages one way', () => {
    const same: Array<[string, string]> = [
      ['$200', 'two hundred dollars'],
      ['200 dollars', '$200'],
      ['50%', 'fifty percent'],
      ['5 per cent', 'five percent'],
      ['25', 'twenty five'],
      ['1999', 'nineteen ninety nine'],
      ['205', 'two hundred and five'],
      ['3,000,000', 'three million'],
      ['$20 million', '$20000000'],
      ['1.5', 'one point five'],
      ['5551234', 'five five five one two three four'],
      ['21st', 'twenty first'],
      ['£10', 'ten pounds'],
    ];
    for (const [a, b] of same) assert.deepEqual(normalizeWords(a), normalizeWords(b), `${a} = ${b}`);
    assert.deepEqual(normalizeWords('It costs $1,250.50.'), ['it', 'costs', '$1250.50']);
    assert.deepEqual(normalizeWords('one'), ['one'], 'a lone 1 reads as "one", as Whisper writes it');
    assert.deepEqual(normalizeWords('the first time'), ['the', 'first', 'time'], 'ambiguous ordinals stay words');
  });

  it('drops hesitations and bracketed asides, spells out contractions, splits punctuation', () => {
    assert.deepEqual(normalizeWords('Um, hello [noise] (laughs) world.'), ['hello', 'world']);
    assert.deepEqual(normalizeWords("I can't, we won't, they're"), [
      'i',
      'can',
      'not',
      'we',
      'will',
      'not',
      'they',
      'are',
    ]);
    assert.deepEqual(normalizeWords('Mr. Smith — re-check!'), ['mister', 'smith', 're', 'check']);
  });

  it('scores as jiwer does: (S + D + I) / N after alignment, and can exceed 1', () => {
    // jiwer's README example.
    assert.equal(wordErrorRate('hello world', 'hello duck').wer, 0.5);
    const w = wordErrorRate('the quick brown fox', 'the brown fox jumps');
    assert.deepEqual([w.substitutions, w.deletions, w.insertions, w.wer], [0, 1, 1, 0.5]);
    assert.equal(wordErrorRate('a', 'b c d').wer, 3);
    assert.equal(wordErrorRate('red green blue', '').deletions, 3);
    // Normalisation happens before alignment: these are the same words.
    assert.equal(wordErrorRate('I paid two hundred dollars.', 'i paid $200').wer, 0);
    assert.equal(wordErrorRate('Café niño', 'cafe nino').wer, 0);
  });
});

const turns = (spec: Array<[number, number, string]>): Turn[] =>
  spec.map(([startSec, endSec, speaker]) => ({ startSec, endSec, speaker }));

describe('DER speaker mapping (pyannote.metrics conventions)', () => {
  it("reproduces pyannote.metrics' documented example: 16/31 with no collar", () => {
    const reference = turns([
      [0, 10, 'A'],
      [12, 20, 'B'],
      [24, 27, 'A'],
      [30, 40, 'C'],
    ]);
    const hypothesis = turns([
      [2, 13, 'a'],
      [13, 14, 'd'],
      [14, 20, 'b'],
      [22, 38, 'c'],
      [38, 40, 'd'],
    ]);
    const d = diarizationErrorRate(reference, hypothesis, 0);
    assert.ok(Math.abs(d.der - 16 / 31) < 1e-9, `DER ${d.der}`);
    assert.ok(
      Math.abs(d.missSec - 2) < 1e-9 && Math.abs(d.falseAlarmSec - 7) < 1e-9 && Math.abs(d.confusionSec - 7) < 1e-9,
      JSON.stringify(d),
    );
    assert.ok(Math.abs(d.scoredSec - 31) < 1e-9);
  });

  it('maps any number of speakers: 12 relabelled speakers score 0', () => {
    const reference = turns(
      Array.from({ length: 12 }, (_, i) => [i * 10, i * 10 + 9, `spk${i}`] as [number, number, string]),
    );
    const hypothesis = reference.map((t, i) => ({ ...t, speaker: `h${(i * 7) % 12}` }));
    assert.equal(diarizationErrorRate(reference, hypothesis, 0).der, 0);
  });

  it('charges a spurious speaker only for the time it takes: 9 speakers, one turn half given to a tenth', () => {
    const reference = turns(
      Array.from({ length: 9 }, (_, i) => [i * 10, i * 10 + 10, `spk${i}`] as [number, number, string]),
    );
    const hypothesis = reference.flatMap((t, i): Turn[] =>
      i === 3
        ? [
            { startSec: 30, endSec: 35, speaker: 'h3' },
            { startSec: 35, endSec: 40, speaker: 'spurious' },
          ]
        : [{ ...t, speaker: `h${8 - i}` }],
    );
    const d = diarizationErrorRate(reference, hypothesis, 0);
    assert.ok(Math.abs(d.der - 5 / 90) < 1e-9, `DER ${d.der}`);
    assert.ok(Math.abs(d.confusionSec - 5) < 1e-9);
  });

  it('finds the best assignment where a greedy one does not', () => {
    assert.deepEqual(
      maxWeightAssignment([
        [10, 9],
        [9, 0],
      ]),
      [1, 0],
    );
    assert.deepEqual(maxWeightAssignment([[0, 0, 5]]), [2]);
    assert.deepEqual(
      maxWeightAssignment([[3], [7], [1]]),
      [-1, 0, -1],
      'more rows than columns leaves rows unassigned',
    );
  });
});
