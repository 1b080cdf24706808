/**
 * The JSON headers exchanged with a Python model worker, one type per message, as discriminated
 * unions on `type`. The description both sides follow is services/transcriber/worker/protocol.json;
 * test/unit/worker-messages.test.ts fails when this file and that one drift.
 */

export interface WireEngine {
  backend: string;
  model: string;
  device: string;
  compute_type: string;
  languages: string[];
  gpu: string;
  /** The per-item decoding options the engine honours ("prompt", "temperature"); others are refused. */
  options: string[];
}

export interface WorkerWord {
  text: string;
  start: number;
  end: number;
  confidence: number;
}

export interface WorkerSegment {
  start: number;
  end: number;
  text: string;
  words: WorkerWord[];
}

export interface WorkerTurn {
  start: number;
  end: number;
  speaker: string;
}

/** The diarizer's confidence in its speaker count and every count it weighed, fewest first. */
export interface WorkerSpeakerCount {
  confidence: number;
  alternatives: Array<{ speakers: number; score: number }>;
}

export interface RequestItem {
  samples: number;
  /** A Whisper language code, or "" to let the engine detect it. */
  language: string;
  /** Whisper's initial prompt for this item, "" for none. */
  prompt: string;
  /** 0 decodes deterministically; above 0 the engine samples. */
  temperature: number;
}

export interface ItemResult {
  segments: WorkerSegment[];
  language: string;
  aligned: boolean;
}

export interface ItemError {
  error: string;
  code: 'invalid_argument' | 'internal';
}

export type ItemAnswer = ItemResult | ItemError;

export interface TranscribeRequest {
  type: 'transcribe';
  id: number;
  wordTimestamps: boolean;
  items: RequestItem[];
}

export interface DiarizeRequest {
  type: 'diarize';
  id: number;
  regions: Array<[number, number]>;
  minSpeakers: number;
  maxSpeakers: number;
}

/** Transcriber → worker; the payload holds the samples. */
export type WorkerRequest = TranscribeRequest | DiarizeRequest;

export interface ReadyReply {
  type: 'ready';
  engine: WireEngine;
}

/** The backend cannot load; the worker exits with code 3. */
export interface FatalReply {
  type: 'fatal';
  message: string;
}

export interface TranscribeResultReply {
  type: 'result';
  id: number;
  elapsedMs: number;
  items: ItemAnswer[];
}

export interface DiarizeResultReply {
  type: 'result';
  id: number;
  elapsedMs: number;
  turns: WorkerTurn[];
  /** How sure the diarizer is of its count; null from a backend that gives no estimate (pyannote). */
  speakerCount: WorkerSpeakerCount | null;
}

export type ResultReply = TranscribeResultReply | DiarizeResultReply;

/** The request as a whole could not be processed; `id` is null only for a request that had none. */
export interface ErrorReply {
  type: 'error';
  id: number | null;
  message: string;
}

/** Worker → transcriber. */
export type WorkerReply = ReadyReply | FatalReply | ResultReply | ErrorReply;

// Records rather than arrays, so the compiler insists on one entry per member of each union.
export const requestTypes: Readonly<Record<WorkerRequest['type'], true>> = { transcribe: true, diarize: true };
export const replyTypes: Readonly<Record<WorkerReply['type'], true>> = {
  ready: true,
  fatal: true,
  result: true,
  error: true,
};

/** The worker sent a header that is not one of the messages above: it is killed and restarted. */
export class WorkerProtocolError extends Error {
  override name = 'WorkerProtocolError';
}

type Fields = { readonly [key: string]: unknown };

function fail(path: string, expected: string, got: unknown): never {
  const shown = got === undefined ? 'nothing' : JSON.stringify(got).slice(0, 60);
  throw new WorkerProtocolError(`worker frame field ${path} should be ${expected}, got ${shown}`);
}

function object(v: unknown, path: string): Fields {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(path, 'an object', v);
  return v as Fields;
}

function string(o: Fields, key: string, path: string): string {
  const v = o[key];
  return typeof v === 'string' ? v : fail(`${path}.${key}`, 'a string', v);
}

function number(o: Fields, key: string, path: string): number {
  const v = o[key];
  return typeof v === 'number' ? v : fail(`${path}.${key}`, 'a number', v);
}

function integer(o: Fields, key: string, path: string): number {
  const v = o[key];
  return typeof v === 'number' && Number.isInteger(v) ? v : fail(`${path}.${key}`, 'an integer', v);
}

function boolean(o: Fields, key: string, path: string): boolean {
  const v = o[key];
  return typeof v === 'boolean' ? v : fail(`${path}.${key}`, 'a boolean', v);
}

function array<T>(o: Fields, key: string, path: string, each: (v: unknown, path: string) => T): T[] {
  const v = o[key];
  if (!Array.isArray(v)) fail(`${path}.${key}`, 'an array', v);
  return v.map((e: unknown, i) => each(e, `${path}.${key}[${i}]`));
}

function engine(v: unknown, path: string): WireEngine {
  const o = object(v, path);
  return {
    backend: string(o, 'backend', path),
    model: string(o, 'model', path),
    device: string(o, 'device', path),
    compute_type: string(o, 'compute_type', path),
    languages: array(o, 'languages', path, (e, p) => (typeof e === 'string' ? e : fail(p, 'a string', e))),
    gpu: string(o, 'gpu', path),
    options: array(o, 'options', path, (e, p) => (typeof e === 'string' ? e : fail(p, 'a string', e))),
  };
}

function word(v: unknown, path: string): WorkerWord {
  const o = object(v, path);
  return {
    text: string(o, 'text', path),
    start: number(o, 'start', path),
    end: number(o, 'end', path),
    confidence: number(o, 'confidence', path),
  };
}

function segment(v: unknown, path: string): WorkerSegment {
  const o = object(v, path);
  return {
    start: number(o, 'start', path),
    end: number(o, 'end', path),
    text: string(o, 'text', path),
    words: array(o, 'words', path, word),
  };
}

function itemAnswer(v: unknown, path: string): ItemAnswer {
  const o = object(v, path);
  if ('error' in o) {
    const code = o['code'];
    if (code !== 'invalid_argument' && code !== 'internal')
      fail(`${path}.code`, "'invalid_argument' or 'internal'", code);
    return { error: string(o, 'error', path), code };
  }
  return {
    segments: array(o, 'segments', path, segment),
    language: string(o, 'language', path),
    aligned: boolean(o, 'aligned', path),
  };
}

function speakerCount(v: unknown, path: string): WorkerSpeakerCount | null {
  if (v === null) return null;
  const o = object(v, path);
  return {
    confidence: number(o, 'confidence', path),
    alternatives: array(o, 'alternatives', path, (a: unknown, p: string) => {
      const s = object(a, p);
      return { speakers: integer(s, 'speakers', p), score: number(s, 'score', p) };
    }),
  };
}

function turn(v: unknown, path: string): WorkerTurn {
  const o = object(v, path);
  return { start: number(o, 'start', path), end: number(o, 'end', path), speaker: string(o, 'speaker', path) };
}

/**
 * The typed message a decoded header is, or a WorkerProtocolError naming the first field that does
 * not fit. Only the fields of the message are kept.
 */
export function parseReply(header: unknown): WorkerReply {
  const o = object(header, 'header');
  const type = o['type'];
  const path = typeof type === 'string' ? type : 'header';
  switch (type) {
    case 'ready':
      return { type, engine: engine(o['engine'], `${path}.engine`) };
    case 'fatal':
      return { type, message: string(o, 'message', path) };
    case 'result': {
      const id = integer(o, 'id', path);
      const elapsedMs = number(o, 'elapsedMs', path);
      if ('items' in o) return { type, id, elapsedMs, items: array(o, 'items', path, itemAnswer) };
      if ('turns' in o)
        return {
          type,
          id,
          elapsedMs,
          turns: array(o, 'turns', path, turn),
          speakerCount: speakerCount(o['speakerCount'], `${path}.speakerCount`),
        };
      return fail(`${path}.items or ${path}.turns`, 'an array', undefined);
    }
    case 'error':
      return { type, id: o['id'] === null ? null : integer(o, 'id', path), message: string(o, 'message', path) };
    default:
      return fail('type', `one of ${Object.keys(replyTypes).join(', ')}`, type);
  }
}
