import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { ServiceError } from '#common/service-error.js';
import { describe, it } from 'node:test';
import { run, speak, writeAudio } from '#dev/corpus/espeak.js';
import { AUDIO_EXTENSIONS } from '../loadgen/src/source/recording.js';
import { wordRecall } from '../loadgen/src/metrics/wer.js';
import { AudioDecoder } from '../services/transcriber/src/audio/decode/audio-decoder.js';
import { mp4IndexAtEnd } from '../services/transcriber/src/audio/decode/mp4-layout.js';
import { fixtureDir } from './support/fixtures.js';
import { startStack, viaGateway } from './support/stack.js';

async function decode(bytes: Buffer): Promise<{ seconds: number; source: string }> {
  let frames = 0;
  const decoder = new AudioDecoder(
    undefined,
    { ffmpegPath: 'ffmpeg', maxAudioBytes: 1 << 30, maxSpoolBytes: 1 << 30 },
    (planar) => (frames += planar[0]?.length ?? 0),
  );
  for (let i = 0; i < bytes.length; i += 4096) await decoder.write(bytes.subarray(i, i + 4096));
  const info = await decoder.end();
  return { seconds: frames / info.sampleRateHz, source: info.sourceFormat };
}

describe('every container the loadgen sends by default decodes (setup installs ffmpeg)', async () => {
  const speech = await speak('Every extension the load generator lists, it can send.', 'en-us+f2');
  const wav = join(fixtureDir(), 'containers.wav');
  await writeAudio(wav, [speech], ['-t', 'wav', '-r', '16000', '-c', '1', '-b', '16']);
  const seconds = speech.length / 16000;

  for (const ext of [...AUDIO_EXTENSIONS, 'aiff']) {
    it(`.${ext}`, async () => {
      const path = join(fixtureDir(), `containers.${ext}`);
      if (ext !== 'wav')
        await run('ffmpeg', ['-y', '-loglevel', 'error', '-i', wav, ...(ext === 'mp4' ? ['-c:a', 'aac'] : []), path]);
      const got = await decode(await readFile(path));
      // Lossy encoders pad the start (AAC priming, Opus pre-skip): a few tens of ms.
      assert.ok(
        Math.abs(got.seconds - seconds) < 0.15,
        `${ext}: ${got.seconds.toFixed(3)} s of ${seconds.toFixed(3)} s (${got.source})`,
      );
      const expected = {
        wav: /^wav\//,
        mp3: /^ffmpeg\/mp3/,
        flac: /^ffmpeg\/flac/,
        ogg: /^ffmpeg\/ogg/,
        opus: /^ffmpeg\/ogg/,
        m4a: /^ffmpeg\/mp4/,
        mp4: /^ffmpeg\/mp4/,
        webm: /^ffmpeg\/webm/,
        aiff: /^ffmpeg\/probed/,
      }[ext];
      assert.match(got.source, expected ?? /./);
    });
  }

  it('still calls bytes that no decoder knows unrecognised', async () => {
    await assert.rejects(
      decode(Buffer.concat([Buffer.from('JUNK'), randomBytes(64 * 1024)])),
      /unrecognised audio.*set config\.format\.encoding/,
    );
  });
});

describe('an MP4/M4A with its index at the end (ffmpeg, phone and recorder default)', async () => {
  const speech = await speak('Thank you for calling, how can I help you today?', 'en-us+f2');
  // Long enough that ffmpeg cannot keep the whole file in its probe buffer and fake the seek.
  const padded = new Float32Array(speech.length + 40 * 16000);
  padded.set(speech);
  for (let i = speech.length; i < padded.length; i++) padded[i] = Math.sin(i * 0.37) * 0.002;
  const wav = join(fixtureDir(), 'index-at-end.wav');
  await writeAudio(wav, [padded], ['-t', 'wav', '-r', '16000', '-c', '1', '-b', '16']);
  const atEnd = join(fixtureDir(), 'index-at-end.m4a');
  const first = join(fixtureDir(), 'index-first.m4a');
  await run('ffmpeg', ['-y', '-loglevel', 'error', '-i', wav, '-c:a', 'aac', atEnd]);
  await run('ffmpeg', ['-y', '-loglevel', 'error', '-i', wav, '-c:a', 'aac', '-movflags', '+faststart', first]);
  const seconds = padded.length / 16000;
  const spoolDirs = async () => (await readdir(tmpdir())).filter((n) => n.startsWith('callscribe-spool-')).length;

  it('the layout tells the two apart from their first bytes', async () => {
    assert.equal(mp4IndexAtEnd((await readFile(atEnd)).subarray(0, 64)), true);
    assert.equal(mp4IndexAtEnd((await readFile(first)).subarray(0, 64)), false);
    assert.equal(mp4IndexAtEnd((await readFile(first)).subarray(0, 20)), undefined, 'ftyp alone does not tell');
  });

  it('both decode whole as they stream in, the first through a pipe, the other from a private spool removed after', async () => {
    const before = await spoolDirs();
    for (const path of [atEnd, first]) {
      const got = await decode(await readFile(path));
      assert.ok(
        Math.abs(got.seconds - seconds) < 0.15,
        `${path}: ${got.seconds.toFixed(2)} of ${seconds.toFixed(2)} s`,
      );
      assert.match(got.source, /^ffmpeg\/mp4/);
    }
    assert.equal(await spoolDirs(), before, 'no spool left behind');
  });

  it('one over --max-spool-bytes is INVALID_ARGUMENT that says how to fix it, with nothing left on disk', async () => {
    const before = await spoolDirs();
    const bytes = await readFile(atEnd);
    const decoder = new AudioDecoder(
      undefined,
      { ffmpegPath: 'ffmpeg', maxAudioBytes: 1 << 30, maxSpoolBytes: 64 * 1024 },
      () => {},
    );
    await assert.rejects(
      (async () => {
        for (let i = 0; i < bytes.length; i += 4096) await decoder.write(bytes.subarray(i, i + 4096));
        await decoder.end();
      })(),
      (err: unknown) =>
        err instanceof ServiceError && err.code === status.INVALID_ARGUMENT && /faststart/.test(err.message),
    );
    decoder.dispose();
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(await spoolDirs(), before);
  });

  it('over gRPC and over HTTP, through the real gateway and transcriber', async () => {
    const stack = await startStack({ workers: 1 });
    try {
      const bytes = await readFile(atEnd);
      const grpc = await viaGateway(stack, bytes, { config: { language: 'en' } });
      assert.equal(grpc.final.sourceFormat, 'ffmpeg/mp4');
      assert.ok(Math.abs(grpc.final.audioDurationSec - seconds) < 0.15);
      assert.ok(
        wordRecall('thank you for calling how can I help you today', grpc.final.transcript) >= 0.4,
        grpc.final.transcript,
      );
      const form = new FormData();
      form.append('file', new Blob([bytes]), 'call.m4a');
      const res = await fetch(`http://${stack.gateway.httpAddress}/asr/upload_file`, { method: 'POST', body: form });
      const body = (await res.json()) as { debug?: { audio_duration_sec: number } };
      assert.equal(res.status, 200, JSON.stringify(body));
      assert.ok(Math.abs((body.debug?.audio_duration_sec ?? 0) - seconds) < 0.15);
    } finally {
      await stack.stop();
    }
  });
});
