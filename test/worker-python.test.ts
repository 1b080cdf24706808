import assert from 'node:assert/strict';
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { speak } from '#dev/corpus/espeak.js';
import { encodeFrame, FrameDecoder, type Frame } from '../services/transcriber/src/engine/worker-frames.js';
import { SENTENCES } from './support/fixtures.js';

const PYTHON = process.env['CALLSCRIBE_PYTHON'] ?? '/usr/bin/python3';
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const WORKER_DIR = fileURLToPath(new URL('../../services/transcriber/worker', import.meta.url));

describe('python worker: unit tests', () => {
  it('passes python -m unittest (loader arguments, per-item isolation, backend errors)', async () => {
    const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve) => {
      const child = spawn(
        PYTHON,
        ['-m', 'unittest', 'discover', '-s', 'services/transcriber/worker/tests', '-t', 'services/transcriber/worker'],
        {
          cwd: ROOT,
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let output = '';
      child.stdout.on('data', (b: Buffer) => (output += b.toString()));
      child.stderr.on('data', (b: Buffer) => (output += b.toString()));
      child.on('close', (c) => resolve({ code: c, output }));
    });
    assert.equal(code, 0, output);
    assert.match(output, /\nOK/);
  });
});

/** A sphinx worker spoken to over the frame protocol, one request at a time. */
class Worker {
  private readonly decoder = new FrameDecoder();
  private readonly frames: Frame[] = [];
  private waiting: ((f: Frame) => void) | undefined;
  stderr = '';

  constructor(readonly child: ChildProcessByStdio<Writable, Readable, Readable>) {
    child.stdout.on('data', (b: Buffer) => {
      for (const f of this.decoder.push(b)) {
        const w = this.waiting;
        this.waiting = undefined;
        if (w !== undefined) w(f);
        else this.frames.push(f);
      }
    });
    child.stderr.on('data', (b: Buffer) => (this.stderr += b.toString()));
  }

  next(timeoutMs = 60_000): Promise<Frame> {
    const queued = this.frames.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no frame within ${timeoutMs} ms; stderr: ${this.stderr.slice(-500)}`)),
        timeoutMs,
      );
      this.waiting = (f) => {
        clearTimeout(timer);
        resolve(f);
      };
    });
  }

  async transcribe(
    id: number,
    items: Array<{ samples: Float32Array; language: string }>,
  ): Promise<Record<string, unknown>> {
    const payload = Buffer.concat(
      items.map((i) => Buffer.from(i.samples.buffer, i.samples.byteOffset, i.samples.byteLength)),
    );
    const header = {
      type: 'transcribe',
      id,
      wordTimestamps: true,
      items: items.map((i) => ({ samples: i.samples.length, language: i.language })),
    };
    for (const part of encodeFrame(header, payload)) this.child.stdin.write(part);
    const reply = await this.next();
    assert.equal(reply.header['id'], id);
    return reply.header;
  }
}

interface ItemReply {
  segments?: Array<{ text: string; words: unknown[] }>;
  language?: string;
  aligned?: boolean;
  error?: string;
  code?: string;
}

describe('python worker: one poisoned chunk fails only itself', () => {
  let worker: Worker;
  let speech: Float32Array;
  before(async () => {
    speech = await speak(SENTENCES.balance, 'en-us+f2');
    const child = spawn(PYTHON, ['-u', '-m', 'callscribe_worker', '--backend', 'sphinx'], {
      cwd: WORKER_DIR,
      env: { ...process.env, PYTHONPATH: WORKER_DIR },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    worker = new Worker(child);
    const ready = await worker.next();
    assert.equal(ready.header['type'], 'ready', JSON.stringify(ready.header));
    const engine = ready.header['engine'] as Record<string, unknown>;
    assert.equal(engine['backend'], 'sphinx');
    assert.equal(engine['gpu'], '');
  });
  after(async () => {
    worker.child.stdin.end();
    if (worker.child.exitCode === null) await new Promise((r) => worker.child.once('exit', r));
  });

  it('answers items 1 and 3 with text and item 2 (NaN samples) with an error of its own', async () => {
    const poisoned = Float32Array.from(speech);
    poisoned[1000] = Number.NaN;
    const reply = await worker.transcribe(1, [
      { samples: speech, language: 'en' },
      { samples: poisoned, language: 'en' },
      { samples: speech, language: '' },
    ]);
    assert.equal(reply['type'], 'result');
    const items = reply['items'] as ItemReply[];
    assert.equal(items.length, 3);
    for (const i of [0, 2]) {
      const item = items[i] as ItemReply;
      assert.equal(item.error, undefined, JSON.stringify(item));
      assert.ok(
        (item.segments ?? [])
          .map((s) => s.text)
          .join(' ')
          .includes('balance'),
        JSON.stringify(item),
      );
      assert.equal(item.language, 'en');
      assert.equal(item.aligned, true);
    }
    assert.deepEqual(items[1], { error: 'audio contains NaN or infinite samples', code: 'invalid_argument' });
  });

  it('keeps serving the next batch, and refuses a language sphinx does not speak per item', async () => {
    const reply = await worker.transcribe(2, [
      { samples: speech, language: 'de' },
      { samples: speech, language: 'en' },
    ]);
    const items = reply['items'] as ItemReply[];
    assert.equal(items[0]?.code, 'invalid_argument');
    assert.match(items[0]?.error ?? '', /'de'/);
    assert.ok((items[1]?.segments?.length ?? 0) > 0, JSON.stringify(items[1]));
  });

  it('answers a malformed batch with a batch-level error and stays up', async () => {
    const header = { type: 'transcribe', id: 3, wordTimestamps: true, items: [{ samples: 10, language: 'en' }] };
    for (const part of encodeFrame(header, Buffer.alloc(8))) worker.child.stdin.write(part);
    const reply = await worker.next();
    assert.equal(reply.header['type'], 'error');
    assert.match(String(reply.header['message']), /items add up to 10 samples but the payload holds 2/);
    const again = await worker.transcribe(4, [{ samples: speech, language: '' }]);
    assert.ok(((again['items'] as ItemReply[])[0]?.segments?.length ?? 0) > 0);
  });
});
