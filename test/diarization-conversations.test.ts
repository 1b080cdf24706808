import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { writeConversation, type Conversation } from '#dev/corpus/conversations.js';
import { diarizationErrorRate } from '../loadgen/src/metrics/der.js';
import { diarize } from './support/diarize.js';
import { startStack, type Stack } from './support/stack.js';

/**
 * The spectral diarizer through the real Diarize RPC on generated conversations with short turns,
 * backchannels, 0.2-1 s overlaps and speaker changes with no pause (dev/corpus/conversations.ts):
 * the cases the first spectral diarizer answered with one speaker.
 */
describe('spectral diarizer on conversations', () => {
  const dir = mkdtempSync(join(tmpdir(), 'callscribe-conversations-'));
  let stack: Stack;
  const calls = new Map<string, Conversation>();
  before(async () => {
    stack = await startStack({ workers: 1 });
    // From the dev split: two-speaker calls over a phone line (8 kHz mu-law) and in a reverberant,
    // noisy room, a monologue, and three voices on a phone line. The held-out split is measured by
    // bench:diarization, not here.
    for (const [split, index] of [
      ['dev', 10],
      ['dev', 5],
      ['dev', 18],
      ['dev', 16],
    ] as const) {
      const c = await writeConversation(dir, split, index);
      calls.set(`${c.speakers}spk-${c.channel}`, c);
    }
  });
  after(() => stack.stop());

  for (const name of ['2spk-phone', '2spk-room', '1spk-wide', '3spk-phone']) {
    it(`${name}: the right number of speakers, DER < 0.35 at collar 0.25 s`, async () => {
      const c = calls.get(name) as Conversation;
      const d = await diarize(stack, await readFile(join(dir, c.wav)));
      assert.equal(d.backend, 'spectral');
      assert.equal(d.numSpeakers, c.speakers, JSON.stringify(d.turns.map((t) => [t.startSec.toFixed(1), t.speaker])));
      const der = diarizationErrorRate(c.turns, d.turns, 0.25).der;
      assert.ok(der < 0.35, `DER ${der.toFixed(3)}`);
    });
  }

  it('honours min_speakers = max_speakers exactly', async () => {
    const c = calls.get('2spk-phone') as Conversation;
    const d = await diarize(stack, await readFile(join(dir, c.wav)), { minSpeakers: 3, maxSpeakers: 3 });
    assert.equal(d.numSpeakers, 3);
  });
});
