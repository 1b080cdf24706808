import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { credentials } from '@grpc/grpc-js';
import { DiarizationMode, TranscriptionConfig } from '#gen/callscribe/v1/audio.js';
import type { Diarization } from '#gen/callscribe/v1/diarization.js';
import { TranscriberClient } from '#gen/callscribe/v1/transcriber.js';
import type { SpeakerTurn } from '#dev/corpus/build-call.js';
import { BIN, startBinary, stopBinary } from '#dev/local-stack.js';
import { diarizationErrorRate } from '../loadgen/src/metrics/der.js';
import { maxWeightAssignment } from '../loadgen/src/metrics/hungarian.js';

const CHUNK_BYTES = 32 * 1024;

/** What scoring needs of a recording of either set (espeak or real voices). */
export interface Reference {
  split: 'dev' | 'test';
  speakers: number;
  turns: SpeakerTurn[];
  wav: string;
}

export interface Scored<T extends Reference = Reference> {
  item: T;
  found: number;
  /** The diarizer's confidence in `found` (0: no estimate). */
  confidence: number;
  /** Mean over reference speakers of their Jaccard error (JER, no collar). */
  jer: number;
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
export async function scoreMode<T extends Reference>(mode: string, dir: string, items: T[]): Promise<Array<Scored<T>>> {
  const saved = process.env['CALLSCRIBE_SPECTRAL_MODE'];
  process.env['CALLSCRIBE_SPECTRAL_MODE'] = mode;
  const transcriber = await startBinary(BIN.transcriber, ['--listen', '127.0.0.1:0', '--workers', '1']).finally(() => {
    if (saved === undefined) delete process.env['CALLSCRIBE_SPECTRAL_MODE'];
    else process.env['CALLSCRIBE_SPECTRAL_MODE'] = saved;
  });
  const client = new TranscriberClient(transcriber.address, credentials.createInsecure());
  try {
    const out: Array<Scored<T>> = [];
    for (const item of items) {
      const d = await diarizeOnce(client, await readFile(join(dir, item.wav)));
      const at25 = diarizationErrorRate(item.turns, d.turns, 0.25);
      out.push({
        item,
        found: d.numSpeakers,
        confidence: d.countConfidence,
        jer: jaccardError(item.turns, d.turns),
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

/**
 * JER as DIHARD III scores it: each reference speaker's 1 - intersection / union with the hypothesis
 * speaker mapped to them (one to one, most shared time), 1 for a speaker mapped to none; the mean
 * over reference speakers. Unlike DER, a short-spoken speaker counts as much as a long one.
 */
export function jaccardError(
  reference: SpeakerTurn[],
  hypothesis: Array<{ startSec: number; endSec: number; speaker: string }>,
): number {
  const step = 0.01;
  const frames = (ts: Array<{ startSec: number; endSec: number }>) => {
    const s = new Set<number>();
    for (const t of ts) for (let i = Math.round(t.startSec / step); i < Math.round(t.endSec / step); i++) s.add(i);
    return s;
  };
  const group = (ts: Array<{ startSec: number; endSec: number; speaker: string }>) => {
    const m = new Map<string, Set<number>>();
    for (const name of new Set(ts.map((t) => t.speaker))) m.set(name, frames(ts.filter((t) => t.speaker === name)));
    return [...m.values()];
  };
  const refs = group(reference);
  const hyps = group(hypothesis);
  if (refs.length === 0) return 0;
  const shared = (a: Set<number>, b: Set<number>) => [...a].filter((i) => b.has(i)).length;
  const mapping = maxWeightAssignment(refs.map((r) => hyps.map((h) => shared(r, h))));
  const errors = refs.map((r, i) => {
    const h = hyps[mapping[i] ?? -1];
    if (h === undefined) return 1;
    const both = shared(r, h);
    return 1 - both / (r.size + h.size - both);
  });
  return errors.reduce((a, b) => a + b, 0) / errors.length;
}

/** Pooled over the group, as md-eval pools a corpus: total error time over total speech. */
export function summarise(scored: Scored[]) {
  const mean = (xs: number[]) => (xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length);
  const right = scored.filter((s) => s.found === s.item.speakers);
  const wrong = scored.filter((s) => s.found !== s.item.speakers);
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
    /** Mean DER per recording (the "mean DER"), beside the pooled one above. */
    meanDer25: mean(scored.map((s) => s.der25)),
    jer: mean(scored.map((s) => s.jer)),
    confidenceRight: mean(right.map((s) => s.confidence)),
    confidenceWrong: mean(wrong.map((s) => s.confidence)),
  };
}
