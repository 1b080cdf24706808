import { setTimeout as sleep } from 'node:timers/promises';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { ServiceError } from '#common/service-error.js';
import { AudioDecoder } from '../services/transcriber/src/audio/decode/audio-decoder.js';
import { audioMessage, configMessage, rawGateway, type RawGateway } from './support/raw-gateway.js';
import { startStack, transcriberStats, type Stack } from './support/stack.js';
import { wavHeader } from './support/wav-header.js';
import { gc, rng } from './support/fuzzing.js';

function validWav(random: () => number, dataBytes: number): Buffer {
  const h = Buffer.alloc(44 + dataBytes);
  wavHeader({ rate: 8000, dataBytes }).copy(h);
  for (let i = 44; i < h.length; i++) h[i] = Math.floor(random() * 256);
  return h;
}

// Values that break parsers: zero, one, odd, the format's own edge cases, the largest of each width.
const INTERESTING = [0, 1, 2, 3, 7, 8, 16, 24, 32, 64, 0x7f, 0x80, 0xff, 0xfffe, 0xffff, 0x7fffffff, 0xffffffff];

/** One mutation of a valid WAV: header fields set to edge values, random bytes, truncation. */
function mutate(random: () => number): Buffer {
  const wav = validWav(random, 2 + Math.floor(random() * 2000));
  const edits = 1 + Math.floor(random() * 4);
  for (let e = 0; e < edits; e++) {
    const kind = random();
    if (kind < 0.4) {
      // A header field (every 2- or 4-byte slot of the first 44) set to an interesting value.
      const at = 2 * Math.floor(random() * 21);
      const v = INTERESTING[Math.floor(random() * INTERESTING.length)] as number;
      if (random() < 0.5 && at <= 40) wav.writeUInt32LE(v >>> 0, at);
      else wav.writeUInt16LE(v & 0xffff, at);
    } else if (kind < 0.8) wav[Math.floor(random() * 44)] = Math.floor(random() * 256);
    else
      wav.write(
        ['LIST', 'fact', 'JUNK', 'data', 'fmt '][Math.floor(random() * 5)] as string,
        12 + 4 * Math.floor(random() * 7),
        'latin1',
      );
  }
  const keep = random() < 0.3 ? Math.floor(random() * wav.length) : wav.length;
  return wav.subarray(0, keep);
}

/** Writes `bytes` in pieces of random (often odd) sizes, then ends. */
async function decodeInPieces(bytes: Buffer, random: () => number): Promise<number> {
  let samples = 0;
  const decoder = new AudioDecoder(
    undefined,
    { ffmpegPath: undefined, maxAudioBytes: 1 << 20, maxSpoolBytes: 1 << 20 },
    (planar) => {
      samples += planar[0]?.length ?? 0;
    },
  );
  try {
    for (let at = 0; at < bytes.length; ) {
      const n = 1 + Math.floor(random() * (random() < 0.5 ? 7 : 600));
      await decoder.write(bytes.subarray(at, at + n));
      at += n;
    }
    await decoder.end();
    return samples;
  } finally {
    decoder.dispose();
  }
}

describe('fuzz: mutated audio and protocol misuse get INVALID_ARGUMENT or audio, never a crash or a hang', () => {
  it('decodes or refuses 5,000 mutated WAV headers, truncations and odd write sizes', {
    timeout: 120_000,
  }, async () => {
    let decoded = 0;
    let refused = 0;
    for (let seed = 1; seed <= 5000; seed++) {
      const random = rng(seed);
      const bytes = mutate(random);
      try {
        await decodeInPieces(bytes, random);
        decoded++;
      } catch (err: unknown) {
        if (!(err instanceof ServiceError) || err.code !== status.INVALID_ARGUMENT)
          assert.fail(`seed ${seed} (${bytes.subarray(0, 44).toString('hex')}): ${String(err)}`);
        assert.ok(err.message.length > 10, `seed ${seed}: no usable message`);
        refused++;
      }
    }
    // Both outcomes happen: the mutations hit real parsing decisions, not only one branch.
    assert.ok(decoded > 100 && refused > 100, `decoded ${decoded}, refused ${refused}`);
  });

  describe('through the real gateway and transcriber', () => {
    let stack: Stack;
    let raw: RawGateway;
    before(async () => {
      stack = await startStack({ workers: 1 }, { idleTimeoutMs: 10_000 });
      raw = rawGateway(stack.gateway.address);
    });
    after(async () => {
      raw.close();
      await stack.stop();
    });

    /** A stream as a careless or hostile client might send it: one misuse at most, or none. */
    function hostileStream(random: () => number): Buffer[] {
      const audio = random() < 0.4 ? validWav(random, 1600 + 2 * Math.floor(random() * 8000)) : mutate(random);
      const messages: Buffer[] = [];
      for (let at = 0; at < audio.length; ) {
        const n = 1 + Math.floor(random() * 1200);
        messages.push(audioMessage(audio.subarray(at, at + n)));
        at += n;
      }
      const misuse = random();
      const anywhere = () => 1 + Math.floor(random() * messages.length);
      const config = configMessage({ language: 'en' });
      if (misuse < 0.1) return messages; // audio before (without) config
      if (misuse < 0.15) return [Buffer.from(audio.subarray(0, 12)), ...messages]; // not protobuf at all
      messages.unshift(config);
      if (misuse < 0.3)
        messages.splice(anywhere(), 0, configMessage()); // config twice
      else if (misuse < 0.4)
        messages.splice(anywhere(), 0, Buffer.from([0x0a, 0xff, 0xff, 0x03])); // truncated field
      else if (misuse < 0.45)
        messages.splice(anywhere(), 0, Buffer.alloc(0)); // an empty message is allowed
      else if (misuse < 0.5) messages[0] = configMessage({ language: 'x'.repeat(Math.floor(random() * 80)) });
      return messages;
    }

    it('answers 240 hostile streams with INVALID_ARGUMENT or a transcript, and RSS stays flat', {
      timeout: 300_000,
    }, async () => {
      const outcomes = new Map<number, number>();
      const rss: number[] = [];
      const live: number[] = [];
      for (let batch = 0; batch < 30; batch++) {
        const results = await Promise.all(
          Array.from({ length: 8 }, async (_, k) => {
            const seed = 100_000 + batch * 8 + k;
            const outcome = await raw.send(hostileStream(rng(seed)), { deadlineMs: 60_000 });
            return { seed, ...outcome };
          }),
        );
        for (const r of results) {
          assert.ok(
            r.code === status.OK || r.code === status.INVALID_ARGUMENT,
            `seed ${r.seed}: ${status[r.code]} ${r.details}`,
          );
          outcomes.set(r.code, (outcomes.get(r.code) ?? 0) + 1);
        }
        // A client's answer can come before the transcriber has let go of its call (a refused stream
        // ends at once; its teardown follows): measure once the server holds no request, so a slow
        // machine reads the same as a fast one.
        for (let i = 0; i < 200 && (await transcriberStats(stack)).inFlightRequests > 0; i++) await sleep(25);
        gc();
        const m = process.memoryUsage();
        rss.push(m.rss);
        live.push(m.heapUsed + m.arrayBuffers);
      }
      // Both outcomes, often: the streams reach real decisions in the decoder and the protocol.
      assert.ok((outcomes.get(status.INVALID_ARGUMENT) ?? 0) > 40, JSON.stringify([...outcomes]));
      assert.ok((outcomes.get(status.OK) ?? 0) > 40, JSON.stringify([...outcomes]));
      // Flat: what is still reachable after a collection does not grow from the early batches to the
      // last ones, and RSS (which the allocator keeps) stays within slack of them.
      const mb = (n: number) => (n / 2 ** 20).toFixed(0);
      const early = Math.max(...live.slice(2, 10));
      const late = Math.max(...live.slice(-8));
      assert.ok(late - early < 32 * 2 ** 20, `heap + buffers ${mb(early)} -> ${mb(late)} MB`);
      const earlyRss = Math.max(...rss.slice(2, 10));
      const lateRss = Math.max(...rss.slice(-8));
      assert.ok(lateRss - earlyRss < 128 * 2 ** 20, `RSS ${mb(earlyRss)} -> ${mb(lateRss)} MB`);
      // Nothing left behind: every stream ended on both services.
      const stats = await transcriberStats(stack);
      assert.equal(stats.inFlightRequests, 0);
      assert.equal(stats.queueDepth, 0);
    });
  });
});
