import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { run, speak, writeAudio } from '#dev/corpus/espeak.js';
import { AUDIO_EXTENSIONS } from '../loadgen/src/source/recording.js';
import { AudioDecoder } from '../services/transcriber/src/audio/decode/audio-decoder.js';
import { fixtureDir } from './support/fixtures.js';

async function decode(bytes: Buffer): Promise<{ seconds: number; source: string }> {
  let frames = 0;
  const decoder = new AudioDecoder(
    undefined,
    { ffmpegPath: 'ffmpeg', maxAudioBytes: 1 << 30 },
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
