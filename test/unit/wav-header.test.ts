import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readWavHeader } from '#common/wav-header.js';
import { audioInfo } from '../../loadgen/src/source/wav-info.js';
import { wavDecoding } from '../../services/transcriber/src/audio/decode/wav-format.js';
import { wavHeader } from '../support/wav-header.js';

const wav = (opts: Parameters<typeof wavHeader>[0], audioBytes = opts.dataBytes) =>
  Buffer.concat([wavHeader(opts), Buffer.alloc(audioBytes)]);

describe('one WAV header reader for the transcriber and the loadgen', () => {
  it('reads the fmt fields and where the audio starts', () => {
    const h = readWavHeader(wav({ channels: 2, rate: 8000, bits: 16, dataBytes: 64000 }));
    assert.deepEqual(h, {
      kind: 'complete',
      fmt: { formatTag: 1, channels: 2, sampleRateHz: 8000, byteRate: 32000, blockAlign: 4, bitsPerSample: 16 },
      dataOffset: 44,
      dataBytes: 64000,
    });
    assert.deepEqual(wavDecoding(wav({ channels: 2, rate: 8000, bits: 16, dataBytes: 64000 })), {
      kind: 'native',
      format: { codec: 'pcm_s16le', channels: 2, sampleRateHz: 8000, dataBytes: 64000 },
      dataOffset: 44,
    });
  });

  it('waits for the data chunk, and says what is wrong instead of throwing', () => {
    assert.deepEqual(readWavHeader(wavHeader({ dataBytes: 10 }).subarray(0, 40)), { kind: 'incomplete' });
    const rifx = wav({ dataBytes: 10 });
    rifx.write('RIFX', 0, 'latin1');
    assert.match((readWavHeader(rifx) as { reason: string }).reason, /big-endian WAV \(RIFX\)/);
    assert.throws(() => wavDecoding(rifx), /big-endian WAV \(RIFX\)/);
  });

  it('loadgen: duration from the byte rate, for data cut short, left open, or in a codec ffmpeg decodes', () => {
    assert.deepEqual(audioInfo(wav({ dataBytes: 32000 })), { durationSec: 1, channels: 1, bytesPerSec: 32000 });
    assert.equal(audioInfo(wav({ dataBytes: 64000 }, 16000)).durationSec, 0.5, 'only the bytes that are there');
    const open = wav({ dataBytes: 8000 });
    open.writeUInt32LE(0xffffffff, 40);
    assert.equal(audioInfo(open).durationSec, 0.25, 'an open size: all that follows');
    assert.equal(audioInfo(wav({ formatTag: 0x31, bits: 8, dataBytes: 16000 })).durationSec, 1, 'GSM in WAV');
    const unknown = { durationSec: undefined, channels: undefined, bytesPerSec: undefined };
    assert.deepEqual(audioInfo(Buffer.from('ID3\u0004 not a wav at all')), unknown);
    assert.deepEqual(audioInfo(wavHeader({ dataBytes: 10 }).subarray(0, 30)), unknown);
  });
});
