import type { Agent } from 'node:http';
import { EngineInfo } from '#gen/callscribe/v1/transcript.js';
import type { StageTimes } from '../../results/request-result.js';
import { checkHttpTarget } from '../preflight.js';
import { answerShapeError, measureHttp, type HttpTranscript } from './http-measure.js';
import { httpAgent, httpFailure, postMultipart, type HttpTls } from './http-post.js';
import { endpointUrl } from './protocol-choice.js';
import type { TargetProtocol } from './target-protocol.js';

export interface WhisperxHttpOptions {
  target: string;
  apiKey: string;
  tls: HttpTls;
  diarization: boolean;
  chunkBytes: number;
  deadlineMs: number;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const ms = (sec: unknown): number | undefined => {
  const s = num(sec);
  return s === undefined ? undefined : s * 1000;
};

/**
 * The WhisperX FastAPI server's JSON (and our gateway's copy of it, legacy-shape.ts): `segments`
 * {speaker, sentence, start_time, end_time}, `response_time`, and where the server has it
 * `debug.whisperx_perf` {load_audio_sec, asr_sec, diar_sec, assign_sec, backend, model, ...}.
 * Only the stages it names are recorded; diarization stages only when diarization was asked for.
 */
export function readWhisperxAnswer(body: string, diarization: boolean): Omit<HttpTranscript, 'sentAt' | 'firstTextAt'> {
  let doc: { segments?: unknown; response_time?: unknown; debug?: Record<string, unknown> };
  try {
    doc = JSON.parse(body) as typeof doc;
  } catch {
    throw answerShapeError('WhisperX FastAPI JSON', body);
  }
  if (!Array.isArray(doc.segments)) throw answerShapeError('WhisperX FastAPI JSON (no "segments" list)', body);
  const segments = (doc.segments as Array<Record<string, unknown>>).map((s) => ({
    text: typeof s['sentence'] === 'string' ? s['sentence'].trim() : '',
    startSec: num(s['start_time']) ?? 0,
    endSec: num(s['end_time']) ?? 0,
    speaker: typeof s['speaker'] === 'string' ? s['speaker'] : '',
  }));
  const debug = doc.debug ?? {};
  const perf = (debug['whisperx_perf'] ?? {}) as Record<string, unknown>;
  const stages: StageTimes = {
    decode: ms(perf['load_audio_sec']),
    asr: ms(perf['asr_sec']),
    ...(diarization ? { diarize: ms(perf['diar_sec']), assign: ms(perf['assign_sec']) } : {}),
    total: ms(debug['total_time_asr']) ?? ms(doc.response_time),
  };
  const stagesMs = Object.fromEntries(Object.entries(stages).filter(([, v]) => v !== undefined)) as StageTimes;
  const backend = typeof perf['backend'] === 'string' ? perf['backend'] : '';
  return {
    transcript: segments
      .map((s) => s.text)
      .filter((t) => t !== '')
      .join(' '),
    audioSec: num(debug['audio_duration_sec']),
    segments: segments.length,
    turns: diarization ? segments : undefined,
    speakers: diarization ? new Set(segments.map((s) => s.speaker).filter((s) => s !== '')).size : undefined,
    stagesMs,
    engine:
      backend === ''
        ? undefined
        : EngineInfo.fromPartial({
            backend,
            model: typeof perf['model'] === 'string' ? perf['model'] : '',
            device: typeof perf['device'] === 'string' ? perf['device'] : '',
            computeType: typeof perf['compute_type'] === 'string' ? perf['compute_type'] : '',
            batchSize: num(perf['batch_size']) ?? 0,
          }),
  };
}

/** `POST /asr/upload_file`: multipart field `file`, header `diarization: true|false`. */
export function whisperxHttpProtocol(o: WhisperxHttpOptions): TargetProtocol {
  const agent: Agent = httpAgent(o.target, o.tls);
  const url = endpointUrl(o.target, '/asr/upload_file');
  return {
    name: 'whisperx-http',
    statsClient: undefined,
    checkTarget: (timeoutMs) => checkHttpTarget(o.target, '/health', o.apiKey, agent, timeoutMs),
    send: (rec, audio, slot, pace) =>
      measureHttp(rec, audio, slot, pace, async (paceBytesPerSec) => {
        const reply = await postMultipart({
          url,
          agent,
          headers: {
            diarization: o.diarization ? 'true' : 'false',
            ...(o.apiKey === '' ? {} : { Authorization: `Bearer ${o.apiKey}` }),
          },
          form: { fields: [], file: { field: 'file', filename: rec.name.split('/').at(-1) ?? rec.name, data: audio } },
          deadlineMs: o.deadlineMs,
          chunkBytes: o.chunkBytes,
          ...(paceBytesPerSec === undefined ? {} : { paceBytesPerSec }),
        });
        if (reply.status !== 200) throw httpFailure(reply);
        return { ...readWhisperxAnswer(reply.body, o.diarization), firstTextAt: undefined, sentAt: reply.sentAt };
      }),
    close: () => agent.destroy(),
  };
}
