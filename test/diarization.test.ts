import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { DiarizationMode, type TranscriptionConfig } from '#gen/callscribe/v1/audio.js';
import type { Diarization } from '#gen/callscribe/v1/diarization.js';
import { parseRttm } from '#client/rttm.js';
import { diarizationErrorRate } from '../loadgen/src/metrics/der.js';
import { startTranscriber } from '../services/transcriber/src/server.js';
import { defaultTranscriberConfig } from '../services/transcriber/src/config.js';
import { threeSpeakerMono, twoSpeakerDialogue, type Dialogue } from './support/dialogue.js';
import { fixtureDir, silenceWav } from './support/fixtures.js';
import { BIN, runBinary } from './support/processes.js';
import { expectGrpcError, startStack, viaGateway, type Stack } from './support/stack.js';

function diarizeRpc(stack: Stack, audio: Buffer, config: Partial<TranscriptionConfig>): Promise<Diarization> {
  return new Promise((resolve, reject) => {
    const call = stack.transcriberClient.diarize(
      new Metadata(),
      { deadline: Date.now() + 60_000 },
      (err: ServiceError | null, d?: Diarization) => (err !== null ? reject(err) : resolve(d as Diarization)),
    );
    call.write({
      payload: {
        $case: 'config',
        config: {
          format: undefined,
          language: '',
          diarization: 0,
          minSpeakers: 0,
          maxSpeakers: 0,
          wordTimestamps: false,
          channelLabels: [],
          requestTag: '',
          prompt: '',
          ...config,
        },
      },
    });
    for (let i = 0; i < audio.length; i += 32768)
      call.write({ payload: { $case: 'audio', audio: audio.subarray(i, i + 32768) } });
    call.end();
  });
}

describe('diarization beside ASR', () => {
  let stack: Stack;
  let call: Dialogue;
  before(async () => {
    stack = await startStack({ workers: 2 });
    call = await twoSpeakerDialogue();
  });
  after(() => stack.stop());

  it('CHANNELS on a stereo call: DER <= 2% (collar 0.25 s), labelled with the channel roles', async () => {
    const d = await diarizeRpc(stack, call.stereo, {
      diarization: DiarizationMode.CHANNELS,
      channelLabels: ['agent', 'customer'],
    });
    assert.equal(d.mode, 'CHANNELS');
    assert.deepEqual(d.speakers, ['agent', 'customer']);
    assert.deepEqual(
      [d.countConfidence, d.countAlternatives],
      [1, [{ speakers: 2, score: 1 }]],
      'channels count exactly',
    );
    const der = diarizationErrorRate(call.turns, d.turns, 0.25);
    assert.ok(der.der <= 0.02, `DER ${(der.der * 100).toFixed(2)}%`);
  });

  it('spectral CLUSTER on the mono mix: DER <= 15% and two speakers', async () => {
    const d = await diarizeRpc(stack, call.mono, { diarization: DiarizationMode.CLUSTER });
    assert.equal(d.backend, 'spectral');
    assert.equal(d.numSpeakers, 2);
    const der = diarizationErrorRate(call.turns, d.turns, 0.25);
    assert.ok(der.der <= 0.15, `DER ${(der.der * 100).toFixed(2)}%`);
  });

  it('estimates three speakers as three', async () => {
    const three = await threeSpeakerMono();
    const d = await diarizeRpc(stack, three.mono, { diarization: DiarizationMode.CLUSTER });
    assert.equal(d.numSpeakers, 3, JSON.stringify(d.turns.map((t) => [t.startSec.toFixed(1), t.speaker])));
    assert.ok(diarizationErrorRate(three.turns, d.turns, 0.25).der <= 0.15);
  });

  it('AUTO: channels for a stereo call whose channels differ, clustering when they are identical', async () => {
    assert.equal((await diarizeRpc(stack, call.stereo, { diarization: DiarizationMode.AUTO })).mode, 'CHANNELS');
    const { twoChannelsSame } = await import('./support/identical-stereo.js');
    const same = await twoChannelsSame(call.mono);
    const d = await diarizeRpc(stack, same, { diarization: DiarizationMode.AUTO });
    assert.equal(d.mode, 'CLUSTER');
    assert.equal(d.numSpeakers, 2);
  });

  it('labels >= 90% of transcript words with the right speaker on a stereo call, through the gateway', async () => {
    const r = await viaGateway(stack, call.stereo, {
      config: { diarization: DiarizationMode.CHANNELS, channelLabels: ['agent', 'customer'], wordTimestamps: true },
    });
    const words = r.segments.flatMap((s) => s.words);
    assert.ok(words.length > 20);
    const truth = (t: number) => call.turns.find((x) => t >= x.startSec - 0.3 && t <= x.endSec + 0.3)?.speaker;
    const right = words.filter((w) => truth((w.startSec + w.endSec) / 2) === w.speaker).length;
    assert.ok(right / words.length >= 0.9, `${right}/${words.length} words`);
    assert.deepEqual(r.final.speakers, ['agent', 'customer']);
    assert.equal(r.final.diarizationBackend, 'channels');
    assert.deepEqual(r.final.speakerCountAlternatives, [{ speakers: 2, score: 1 }]);
    for (let i = 1; i < r.segments.length; i++)
      assert.ok(
        (r.segments[i]?.startSec ?? 0) >= (r.segments[i - 1]?.startSec ?? 0),
        'segments in time order across channels',
      );
  });

  it('assigns clustered speakers to mono transcript segments, splitting where the speaker changes', async () => {
    const r = await viaGateway(stack, call.mono, { config: { diarization: DiarizationMode.AUTO } });
    assert.equal(r.final.diarizationBackend, 'spectral');
    assert.equal(r.final.speakers.length, 2);
    // The worker's confidence in its count reaches the client: the answer among the counts it weighed.
    const weighed = new Map(r.final.speakerCountAlternatives.map((a) => [a.speakers, a.score]));
    assert.equal(weighed.get(2), r.final.speakerCountConfidence);
    assert.ok(r.final.speakerCountConfidence > 0 && r.final.speakerCountConfidence <= 1);
    assert.ok(weighed.has(3), 'three speakers was weighed and refused');
    assert.ok(
      r.segments.every((s) => s.speaker !== '' && s.words.length === 0),
      'every segment has a speaker; words only when asked',
    );
    assert.ok((r.final.timings?.diarizeMs ?? 0) > 0);
    const hyp = r.segments.map((s) => ({ startSec: s.startSec, endSec: s.endSec, speaker: s.speaker }));
    assert.ok(diarizationErrorRate(call.turns, hyp, 0.25).der <= 0.25);
  });

  it('returns zero turns for silence, and INVALID_ARGUMENT for min_speakers > max_speakers', async () => {
    const silent = await diarizeRpc(stack, await silenceWav(4), { diarization: DiarizationMode.CLUSTER });
    assert.equal(silent.turns.length, 0);
    assert.equal(silent.numSpeakers, 0);
    assert.deepEqual([silent.countConfidence, silent.countAlternatives], [0, []], 'no speech, no estimate');
    const err = await diarizeRpc(stack, call.mono, {
      diarization: DiarizationMode.CLUSTER,
      minSpeakers: 3,
      maxSpeakers: 2,
    }).then(
      () => undefined,
      (e: ServiceError) => e,
    );
    assert.equal(err?.code, status.INVALID_ARGUMENT);
    const viaGw = await expectGrpcError(
      viaGateway(stack, call.mono, { config: { diarization: DiarizationMode.AUTO, minSpeakers: 3, maxSpeakers: 2 } }),
    );
    assert.equal(viaGw.code, status.INVALID_ARGUMENT);
    assert.match(viaGw.details, /min_speakers \(3\) is greater than config\.max_speakers \(2\)/);
  });

  it('writes RTTM from the CLI with --diarization and --rttm', async () => {
    const { writeFile } = await import('node:fs/promises');
    const wav = join(fixtureDir(), 'cli-dialogue.wav');
    const rttm = join(fixtureDir(), 'cli-dialogue.rttm');
    await writeFile(wav, call.stereo);
    const r = await runBinary(BIN.cli, [
      'transcribe',
      wav,
      '--target',
      stack.gateway.address,
      '--diarization',
      'channels',
      '--channel-labels',
      'agent,customer',
      '--rttm',
      rttm,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /\] agent: /);
    assert.match(r.stdout, /speakers \(channels\): agent, customer/);
    const turns = parseRttm(await readFile(rttm, 'utf8'));
    assert.ok(turns.length >= 6 && turns.every((t) => ['agent', 'customer'].includes(t.speaker)));
  });

  it('refuses to start the pyannote diarizer without its package, saying why', async () => {
    const err = await startTranscriber(
      defaultTranscriberConfig({ listen: '127.0.0.1:0', workers: 1, diarizer: 'pyannote' }),
    ).then(
      async (t) => {
        await t.stop(100);
        return undefined;
      },
      (e: Error) => e,
    );
    assert.match(err?.message ?? 'started', /pyannote/);
  });
});
