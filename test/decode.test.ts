import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { AudioEncoding, type AudioFormat } from '#gen/callscribe/v1/audio.js';
import { speak, writeAudio, run } from '#dev/corpus/espeak.js';
import { AudioDecoder } from '../services/transcriber/src/audio/decode/audio-decoder.js';
import { ffmpegAvailable } from '../services/transcriber/src/audio/decode/ffmpeg-decoder.js';
import { createResampler } from '../services/transcriber/src/audio/resampler.js';
import { fixtureDir } from './support/fixtures.js';

/** Feeds bytes in awkward 37-byte pieces, as a network would, and concatenates channel 0. */
async function decode(
  bytes: Buffer,
  format?: AudioFormat,
): Promise<{ samples: Float32Array; channels: number; rate: number; source: string }> {
  const parts: Float32Array[] = [];
  let channels = 0;
  const decoder = new AudioDecoder(
    format,
    { ffmpegPath: ffmpegAvailable('ffmpeg') ? 'ffmpeg' : undefined, maxAudioBytes: 1 << 30, maxSpoolBytes: 1 << 30 },
    (planar) => {
      channels = planar.length;
      parts.push(planar[0] as Float32Array);
    },
  );
  for (let i = 0; i < bytes.length; i += 37) await decoder.write(bytes.subarray(i, i + 37));
  const info = await decoder.end();
  const samples = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    samples.set(p, at);
    at += p.length;
  }
  return { samples, channels, rate: info.sampleRateHz, source: info.sourceFormat };
}

const maxDiff = (a: Float32Array, b: Float32Array) => {
  let m = 0;
  for (let i = 0; i < Math.min(a.length, b.length); i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
};

describe('streaming decoder', async () => {
  const speech = await speak('Checking every encoding a call recorder writes.', 'en-us+f2');
  const ref = join(fixtureDir(), 'ref-f32.raw');
  const WAVS: Array<[string, string[], number, string]> = [
    ['PCM 8-bit', ['-e', 'unsigned-integer', '-b', '8'], 0.02, 'wav/pcm_u8'],
    ['PCM 16-bit', ['-e', 'signed-integer', '-b', '16'], 1e-3, 'wav/pcm_s16le'],
    ['PCM 24-bit', ['-e', 'signed-integer', '-b', '24'], 1e-3, 'wav/pcm_s24le'],
    ['PCM 32-bit', ['-e', 'signed-integer', '-b', '32'], 1e-3, 'wav/pcm_s32le'],
    ['float32', ['-e', 'floating-point', '-b', '32'], 1e-6, 'wav/f32le'],
    ['mu-law', ['-e', 'mu-law'], 0.02, 'wav/mulaw'],
    ['A-law', ['-e', 'a-law'], 0.02, 'wav/alaw'],
  ];
  for (const [name, args, tolerance, source] of WAVS) {
    it(`decodes ${name} WAV as sox does`, async () => {
      const path = join(fixtureDir(), `enc-${source.replace('/', '-')}.wav`);
      await writeAudio(path, [speech], ['-t', 'wav', '-r', '16000', '-c', '1', ...args]);
      const expected = await run('sox', [path, '-t', 'f32', '-e', 'floating-point', ref]).then(() => readFile(ref));
      const want = new Float32Array(
        expected.buffer.slice(expected.byteOffset, expected.byteOffset + expected.byteLength),
      );
      const got = await decode(await readFile(path));
      assert.equal(got.source, source);
      assert.equal(got.samples.length, want.length);
      assert.ok(maxDiff(got.samples, want) <= tolerance, `max difference ${maxDiff(got.samples, want)}`);
    });
  }

  it('decodes stereo WAV_FORMAT_EXTENSIBLE at 44.1 kHz with both channels', async () => {
    const path = join(fixtureDir(), 'ext-stereo.wav');
    await writeAudio(
      path,
      [speech, new Float32Array(speech.length)],
      ['-t', 'wav', '-r', '44100', '-e', 'signed-integer', '-b', '24', '-c', '2'],
    );
    const bytes = await readFile(path);
    assert.equal(bytes.readUInt16LE(20), 0xfffe, 'sox wrote an extensible header');
    const got = await decode(bytes);
    assert.equal(got.channels, 2);
    assert.equal(got.rate, 44100);
  });

  it('decodes raw mu-law and PCM with a declared rate', async () => {
    const path = join(fixtureDir(), 'raw.ul');
    await writeAudio(path, [speech], ['-t', 'ul', '-r', '8000', '-c', '1']);
    const got = await decode(await readFile(path), { encoding: AudioEncoding.MULAW, sampleRateHz: 8000, channels: 1 });
    assert.equal(got.source, 'raw/mulaw');
    assert.ok(Math.abs(got.samples.length - speech.length / 2) <= 2);
  });

  it('decodes FLAC and MP3 through ffmpeg when it is installed', {
    skip: !ffmpegAvailable('ffmpeg') && 'ffmpeg not installed',
  }, async () => {
    for (const ext of ['flac', 'mp3', 'ogg']) {
      const wav = join(fixtureDir(), 'for-ffmpeg.wav');
      await writeAudio(wav, [speech], ['-t', 'wav', '-r', '16000', '-c', '1', '-b', '16']);
      const path = join(fixtureDir(), `for-ffmpeg.${ext}`);
      await run('ffmpeg', ['-y', '-loglevel', 'error', '-i', wav, path]);
      const got = await decode(await readFile(path));
      assert.equal(got.rate, 16000);
      assert.match(got.source, new RegExp(`^ffmpeg/${ext === 'ogg' ? 'ogg' : ext}`));
      assert.ok(
        Math.abs(got.samples.length / 16000 - speech.length / 16000) < 0.1,
        `${ext}: ${got.samples.length} samples`,
      );
    }
  });

  it('resamples 8 kHz to 16 kHz in pieces with the exact output length and no lost amplitude', async () => {
    const r = await createResampler(8000);
    const n = 8000 * 3;
    const tone = Float32Array.from({ length: n }, (_, i) => 0.5 * Math.sin((2 * Math.PI * 440 * i) / 8000));
    let total = 0;
    let peak = 0;
    for (let i = 0; i < n; i += 333) {
      const y = r.push(tone.subarray(i, i + 333));
      total += y.length;
      for (const v of y.subarray(Math.min(y.length, 100))) peak = Math.max(peak, Math.abs(v));
    }
    total += r.flush().length;
    r.dispose();
    assert.equal(total, n * 2);
    assert.ok(Math.abs(peak - 0.5) < 0.01, `peak ${peak}`);
  });
});
