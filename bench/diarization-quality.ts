import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { credentials } from '@grpc/grpc-js';
import { DiarizationMode, TranscriptionConfig } from '#gen/callscribe/v1/audio.js';
import type { Diarization } from '#gen/callscribe/v1/diarization.js';
import { TranscriberClient } from '#gen/callscribe/v1/transcriber.js';
import type { Conversation } from '#dev/corpus/conversations.js';
import { BIN, startBinary, stopBinary } from '#dev/local-stack.js';
import { diarizationErrorRate } from '../loadgen/src/metrics/der.js';

const CHUNK_BYTES = 32 * 1024;

export interface Scored {
  item: Conversation;
  found: number;
  der25: number;
  der0: number;
  missSec: number;
  falseAlarmSec: number;
  confusionSec: number;
  scoredSec: number;
}

function diarizeOnce(client: TranscriberClient, bytes: Buffer): Promise<Diarization> {
  return new Promise<Diarization>((resolve, reject) => {
    const call = client.diarize({ deadline: Date.now() + 120_000 }, (err, result) =>
      err !== null || result === undefined ? reject(err) : resolve(result),
    );
    const config = TranscriptionConfig.fromPartial({ diarization: DiarizationMode.CLUSTER });
    call.write({ payload: { $case: 'config', config } });
    for (let at = 0; at < bytes.length; at += CHUNK_BYTES)
      call.write({ payload: { $case: 'audio', audio: bytes.subarray(at, at + CHUNK_BYTES) } });
    call.end();
  });
}

/**
 * Every conversation through the real Diarize RPC of a transcriber whose spectral diarizer runs in
 * `mode` (CALLSCRIBE_SPECTRAL_MODE, read by the worker), scored against its RTTM.
 */
export async function scoreMode(mode: string, dir: string, items: Conversation[]): Promise<Scored[]> {
  const saved = process.env['CALLSCRIBE_SPECTRAL_MODE'];
  process.env['CALLSCRIBE_SPECTRAL_MODE'] = mode;
  const transcriber = await startBinary(BIN.transcriber, ['--listen', '127.0.0.1:0', '--workers', '1']).finally(() => {
    if (saved === undefined) delete process.env['CALLSCRIBE_SPECTRAL_MODE'];
    else process.env['CALLSCRIBE_SPECTRAL_MODE'] = saved;
  });
  const client = new TranscriberClient(transcriber.address, credentials.createInsecure());
  try {
    const out: Scored[] = [];
    for (const item of items) {
      const d = await diarizeOnce(client, await readFile(join(dir, item.wav)));
      const at25 = diarizationErrorRate(item.turns, d.turns, 0.25);
      out.push({
        item,
        found: d.numSpeakers,
        der25: at25.der,
        der0: diarizationErrorRate(item.turns, d.turns, 0).der,
        missSec: at25.missSec,
        falseAlarmSec: at25.falseAlarmSec,
        confusionSec: at25.confusionSec,
        scoredSec: at25.scoredSec,
      });
    }
    return out;
  } finally {
    client.close();
    await stopBinary(transcriber);
  }
}

/** Pooled over the group, as md-eval pools a corpus: total error time over total speech. */
export function summarise(scored: Scored[]) {
  const sum = (f: (s: Scored) => number) => scored.reduce((n, s) => n + f(s), 0);
  const speech = sum((s) => s.scoredSec);
  return {
    n: scored.length,
    der25: sum((s) => s.der25 * s.scoredSec) / speech,
    der0: sum((s) => s.der0 * s.scoredSec) / speech,
    miss: sum((s) => s.missSec) / speech,
    falseAlarm: sum((s) => s.falseAlarmSec) / speech,
    confusion: sum((s) => s.confusionSec) / speech,
    countRight: scored.filter((s) => s.found === s.item.speakers).length,
    underOne: scored.filter((s) => s.item.speakers >= 2 && s.found <= 1).length,
  };
}
