import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { writeRealConversations, type RealConversation } from '#dev/corpus/real-conversations.js';
import { readers } from '#dev/corpus/real-voices.js';
import { diarizationErrorRate } from '../loadgen/src/metrics/der.js';
import { diarize } from './support/diarize.js';
import { startStack, type Stack } from './support/stack.js';

/**
 * The `embedding` mode (the speaker network learned from real voices) through the real Diarize RPC on
 * real human voices: four telephone-band calls of the real-voice set's dev split (LibriSpeech readers
 * the network never heard). Needs ../shared/data/librispeech-voices (or CALLSCRIBE_VOICES_DIR); skipped
 * without it. Accuracy over whole splits is bench:diarization's job.
 */
const voices = await readers();
describe('embedding mode on real voices', { skip: voices === null ? 'no readers folder' : false }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'callscribe-real-voices-'));
  let stack: Stack;
  let calls: RealConversation[] = [];
  const saved = process.env['CALLSCRIBE_SPECTRAL_MODE'];
  before(async () => {
    process.env['CALLSCRIBE_SPECTRAL_MODE'] = 'embedding';
    stack = await startStack({ workers: 1 });
    // Two same-sex pairs, a mixed pair and a monologue. The default mode answers every dev monologue
    // with two voices (docs/diarization.md), so one voice here also shows which mode answered.
    calls = (await writeRealConversations(dir, [0, 2, 3, 34])) ?? [];
  });
  after(async () => {
    await stack.stop();
    if (saved === undefined) delete process.env['CALLSCRIBE_SPECTRAL_MODE'];
    else process.env['CALLSCRIBE_SPECTRAL_MODE'] = saved;
  });

  it('counts each call right, with DER < 0.15 at collar 0.25 s and the count weighed', async () => {
    assert.equal(calls.length, 4);
    for (const c of calls) {
      const d = await diarize(stack, await readFile(join(dir, c.wav)));
      assert.equal(d.backend, 'spectral');
      const turns = JSON.stringify(d.turns.map((t) => [t.startSec.toFixed(1), t.speaker]));
      assert.equal(d.numSpeakers, c.speakers, `${c.id}: ${turns}`);
      const der = diarizationErrorRate(c.turns, d.turns, 0.25).der;
      assert.ok(der < 0.15, `${c.id}: DER ${der.toFixed(3)}`);
      assert.ok(d.countConfidence > 0.5, `${c.id}: confidence ${d.countConfidence}`);
    }
  });

  it('honours min_speakers = max_speakers exactly', async () => {
    const mono = calls.find((c) => c.speakers === 1) as RealConversation;
    const d = await diarize(stack, await readFile(join(dir, mono.wav)), { minSpeakers: 2, maxSpeakers: 2 });
    assert.equal(d.numSpeakers, 2);
    assert.equal(d.countConfidence, 1);
  });
});
