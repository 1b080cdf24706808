import type { Agent } from 'node:http';
import { status as Status } from '@grpc/grpc-js';
import { checkHttpTarget } from '../preflight.js';
import type { SpeakerTurn } from '../send-request.js';
import { answerShapeError, measureHttp, type HttpTranscript } from './http-measure.js';
import { HttpCallError, httpAgent, httpFailure, postMultipart, type HttpTls } from './http-post.js';
import { endpointUrl } from './protocol-choice.js';
import { SseReader } from './sse-reader.js';
import type { TargetProtocol } from './target-protocol.js';

export interface OpenAiProtocolOptions {
  target: string;
  apiKey: string;
  tls: HttpTls;
  model: string;
  language: string;
  diarization: 'none' | 'channels' | 'cluster' | 'auto';
  stream: boolean;
  chunkBytes: number;
  deadlineMs: number;
}

type Answer = Omit<HttpTranscript, 'sentAt'>;

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/**
 * The form fields, all before the file so a server that streams the upload (ours, with a language)
 * knows them when the audio starts. Streaming asks for `json` events (OpenAI streams no verbose_json);
 * diarization asks for `diarized_json`, streamed or not, whose segments carry speakers for DER.
 * `diarization=channels|cluster` is callscribe's own field; auto is what diarized_json means anyway,
 * so nothing a plain OpenAI server would refuse is sent for it.
 */
export function openAiFields(o: OpenAiProtocolOptions): Array<[string, string]> {
  const format = o.diarization !== 'none' ? 'diarized_json' : o.stream ? 'json' : 'verbose_json';
  return [
    ['model', o.model],
    ...(o.language === '' ? [] : [['language', o.language] as [string, string]]),
    ['response_format', format],
    ...(o.stream ? [['stream', 'true'] as [string, string]] : []),
    ...(o.diarization === 'channels' || o.diarization === 'cluster'
      ? [['diarization', o.diarization] as [string, string]]
      : []),
  ];
}

const turnOf = (s: Record<string, unknown>): SpeakerTurn & { text: string } => ({
  startSec: num(s['start']) ?? 0,
  endSec: num(s['end']) ?? 0,
  speaker: typeof s['speaker'] === 'string' ? s['speaker'] : '',
  text: typeof s['text'] === 'string' ? s['text'] : '',
});

const speakerCount = (turns: SpeakerTurn[]) => new Set(turns.map((t) => t.speaker).filter((s) => s !== '')).size;

/** A whole-document answer: json {text}, verbose_json {text, duration, segments}, diarized_json (with speakers). */
export function readOpenAiDocument(body: string, diarized: boolean): Answer {
  let doc: { text?: unknown; duration?: unknown; segments?: unknown };
  try {
    doc = JSON.parse(body) as typeof doc;
  } catch {
    throw answerShapeError('OpenAI transcription JSON', body);
  }
  if (typeof doc.text !== 'string') throw answerShapeError('an OpenAI transcription (no "text")', body);
  const segments = Array.isArray(doc.segments)
    ? (doc.segments as Array<Record<string, unknown>>).map(turnOf)
    : undefined;
  const turns = diarized ? segments : undefined;
  return {
    transcript: doc.text,
    audioSec: num(doc.duration),
    segments: segments?.length,
    turns,
    speakers: turns === undefined ? undefined : speakerCount(turns),
    stagesMs: {},
    engine: undefined,
    firstTextAt: undefined,
  };
}

// An error event carries the gRPC status name when the server is callscribe's gateway.
const statusNames = new Set(Object.keys(Status).filter((k) => Number.isNaN(Number(k))));

/** Reads `stream=true` events as they come: the first text's time, the done event's text. */
export class OpenAiEvents {
  private readonly reader = new SseReader();
  private readonly turns: Array<SpeakerTurn & { text: string }> = [];
  private text: string | undefined;
  firstTextAt: number | undefined;
  failure: HttpCallError | undefined;

  feed(piece: string, now = performance.now()): void {
    for (const data of this.reader.feed(piece)) {
      if (data === '[DONE]') continue;
      let event: Record<string, unknown>;
      try {
        event = JSON.parse(data) as Record<string, unknown>;
      } catch {
        this.failure ??= answerShapeError('a JSON event', data);
        continue;
      }
      const error = event['error'] as { message?: unknown; code?: unknown } | undefined;
      if (error !== undefined) {
        const code = typeof error.code === 'string' && statusNames.has(error.code) ? error.code : 'INTERNAL';
        this.failure ??= new HttpCallError(code, `error event: ${String(error.message ?? JSON.stringify(error))}`);
      } else if (event['type'] === 'transcript.text.delta') {
        if (typeof event['delta'] === 'string' && event['delta'].trim() !== '') this.firstTextAt ??= now;
      } else if (event['type'] === 'transcript.text.segment') {
        this.firstTextAt ??= now;
        this.turns.push(turnOf(event));
      } else if (event['type'] === 'transcript.text.done') {
        if (typeof event['text'] === 'string') this.text = event['text'];
      }
    }
  }

  /** The answer, once the stream has ended; a stream cut before its done event is a failure. */
  answer(diarized: boolean): Answer {
    if (this.failure !== undefined) throw this.failure;
    if (this.text === undefined)
      throw new HttpCallError('INTERNAL', 'the event stream ended without a transcript.text.done event');
    const turns = diarized ? this.turns : undefined;
    return {
      transcript: this.text,
      audioSec: undefined,
      // Deltas are pieces of text, not segments: only diarized events are countable segments.
      segments: diarized ? this.turns.length : undefined,
      turns,
      speakers: turns === undefined ? undefined : speakerCount(turns),
      stagesMs: {},
      engine: undefined,
      firstTextAt: this.firstTextAt,
    };
  }
}

/**
 * `POST /v1/audio/transcriptions`, the API key as a bearer token. With stream=true the time to first
 * text is measured where the server streams (one that ignores stream answers JSON, and TTFS is then
 * not measured).
 */
export function openAiProtocol(o: OpenAiProtocolOptions): TargetProtocol {
  const agent: Agent = httpAgent(o.target, o.tls);
  const url = endpointUrl(o.target, '/v1/audio/transcriptions');
  const fields = openAiFields(o);
  const diarized = o.diarization !== 'none';
  return {
    name: 'openai',
    statsClient: undefined,
    // Every OpenAI-compatible server lists its models; a wrong key fails here too.
    checkTarget: (timeoutMs) => checkHttpTarget(o.target, '/v1/models', o.apiKey, agent, timeoutMs),
    send: (rec, audio, slot, pace) =>
      measureHttp(rec, audio, slot, pace, async (paceBytesPerSec) => {
        const events = new OpenAiEvents();
        let streamed = false;
        const reply = await postMultipart({
          url,
          agent,
          headers: o.apiKey === '' ? {} : { Authorization: `Bearer ${o.apiKey}` },
          form: { fields, file: { field: 'file', filename: rec.name.split('/').at(-1) ?? rec.name, data: audio } },
          deadlineMs: o.deadlineMs,
          chunkBytes: o.chunkBytes,
          ...(paceBytesPerSec === undefined ? {} : { paceBytesPerSec }),
          onData: (piece) => {
            if (streamed) events.feed(piece);
          },
          onHeaders: (h) => {
            streamed = String(h['content-type'] ?? '').startsWith('text/event-stream');
          },
        });
        if (reply.status !== 200) throw httpFailure(reply);
        const answer = streamed ? events.answer(diarized) : readOpenAiDocument(reply.body, diarized);
        return { ...answer, sentAt: reply.sentAt };
      }),
    close: () => agent.destroy(),
  };
}
