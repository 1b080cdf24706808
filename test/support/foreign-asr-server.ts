import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import busboy from 'busboy';

/**
 * An ASR server that is not callscribe: it answers like the WhisperX FastAPI server
 * (`POST /asr/upload_file`) and like OpenAI's API (`POST /v1/audio/transcriptions`, stream or not),
 * so the loadgen's HTTP protocols are tested against a second implementation of each shape.
 * It knows its recordings by the SHA-256 of their bytes (an upload that arrives damaged is a 400)
 * and answers each with its reference text less the last word: one deletion, a WER the test can
 * compute by hand.
 */
export interface KnownRecording {
  text: string;
  durationSec: number;
}

export interface SeenRequest {
  path: string;
  headers: IncomingMessage['headers'];
  fields: Map<string, string>;
  filename: string;
}

export interface ForeignAsrServer {
  url: string;
  seen: SeenRequest[];
  stop(): Promise<void>;
}

export const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** The server's stage times, in seconds as WhisperX FastAPI reports them. */
export const WHISPERX_PERF = { load_audio_sec: 0.012, asr_sec: 0.3, diar_sec: 0.2, assign_sec: 0.01 };
/** Pause between streamed events: the time to first text is well before the end. */
export const EVENT_GAP_MS = 60;

const dropLastWord = (text: string) => text.split(/\s+/).slice(0, -1).join(' ');

function readForm(req: IncomingMessage): Promise<{ fields: Map<string, string>; filename: string; file: Buffer }> {
  return new Promise((resolve, reject) => {
    const fields = new Map<string, string>();
    let filename = '';
    const pieces: Buffer[] = [];
    const bb = busboy({ headers: req.headers });
    bb.on('field', (name, value) => fields.set(name, value));
    bb.on('file', (_name, stream, info) => {
      filename = info.filename ?? '';
      stream.on('data', (b: Buffer) => pieces.push(b));
    });
    bb.on('close', () => resolve({ fields, filename, file: Buffer.concat(pieces) }));
    bb.on('error', reject);
    req.pipe(bb);
  });
}

const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** With `tls`, it serves https with that certificate, and requires a client certificate when `ca` is given. */
export async function startForeignAsrServer(
  known: Map<string, KnownRecording>,
  apiKey = '',
  tls?: { cert: string; key: string; ca?: string },
): Promise<ForeignAsrServer> {
  const seen: SeenRequest[] = [];
  const handler: RequestListener = (req, res) => {
    void (async () => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      const keyOk = apiKey === '' || req.headers.authorization === `Bearer ${apiKey}`;
      if (req.method === 'GET' && path === '/v1/models') {
        if (!keyOk)
          return send(res, 401, { error: { message: 'Incorrect API key provided', type: 'invalid_request_error' } });
        return send(res, 200, { object: 'list', data: [{ id: 'whisper-1', object: 'model', owned_by: 'foreign' }] });
      }
      if (req.method !== 'POST' || (path !== '/asr/upload_file' && path !== '/v1/audio/transcriptions'))
        return send(res, 404, { detail: 'Not Found' });
      const { fields, filename, file } = await readForm(req);
      seen.push({ path, headers: req.headers, fields, filename });
      if (filename === 'busy.wav') return send(res, 429, { detail: 'too many requests' }, { 'Retry-After': '1' });
      const rec = known.get(sha256(file));
      if (path === '/asr/upload_file') {
        if (rec === undefined) return send(res, 400, { detail: `unknown audio (${file.length} bytes)` });
        const diarized = req.headers['diarization'] === 'true';
        const words = dropLastWord(rec.text).split(' ');
        const half = Math.ceil(words.length / 2);
        const sentences = [words.slice(0, half).join(' '), words.slice(half).join(' ')];
        return send(res, 200, {
          segments: sentences.map((sentence, i) => ({
            speaker: diarized ? `SPEAKER_0${i}` : 'Speaker 1',
            sentence,
            start_time: (i * rec.durationSec) / 2,
            end_time: ((i + 1) * rec.durationSec) / 2,
          })),
          response_time: 0.52,
          debug: {
            no_of_calls: 1,
            total_time_asr: 0.52,
            audio_duration_sec: rec.durationSec,
            diarization_enabled: diarized,
            whisperx_perf: {
              ...WHISPERX_PERF,
              mode: 'fast_no_align',
              batch_size: 16,
              device: 'cuda',
              compute_type: 'float16',
              backend: 'whisperx',
              model: 'large-v2',
            },
          },
        });
      }
      if (!keyOk)
        return send(res, 401, { error: { message: 'Incorrect API key provided', type: 'invalid_request_error' } });
      if (rec === undefined) return send(res, 400, { error: { message: `unknown audio (${file.length} bytes)` } });
      const text = dropLastWord(rec.text);
      // diarized_json: two speakers, one half of the recording each (what the test's .rttm says).
      const turns = [0, 1].map((i) => ({
        type: 'transcript.text.segment',
        id: `seg_${i}`,
        start: (i * rec.durationSec) / 2,
        end: ((i + 1) * rec.durationSec) / 2,
        text: i === 0 ? text : '',
        speaker: `spk${i}`,
      }));
      if (fields.get('response_format') === 'diarized_json') {
        if (fields.get('stream') !== 'true')
          return send(res, 200, { task: 'transcribe', duration: rec.durationSec, text, segments: turns });
        res.writeHead(200, { 'Content-Type': 'text/event-stream' });
        for (const t of turns) {
          res.write(`data: ${JSON.stringify(t)}\n\n`);
          await sleep(EVENT_GAP_MS);
        }
        res.end(`data: ${JSON.stringify({ type: 'transcript.text.done', text })}\n\n`);
        return;
      }
      if (fields.get('stream') === 'true' && fields.get('response_format') === 'json') {
        res.writeHead(200, { 'Content-Type': 'text/event-stream' });
        for (const word of text.split(' ')) {
          res.write(`data: ${JSON.stringify({ type: 'transcript.text.delta', delta: `${word} ` })}\n\n`);
          await sleep(EVENT_GAP_MS);
        }
        res.end(
          `data: ${JSON.stringify({ type: 'transcript.text.done', text, usage: { type: 'duration', seconds: 2 } })}\n\n`,
        );
        return;
      }
      return send(res, 200, {
        task: 'transcribe',
        language: 'english',
        duration: rec.durationSec,
        text,
        segments: [{ id: 0, start: 0, end: rec.durationSec, text }],
      });
    })().catch((err: unknown) => send(res, 500, { detail: String(err) }));
  };
  const server =
    tls === undefined
      ? createServer(handler)
      : createHttpsServer(
          {
            cert: readFileSync(tls.cert),
            key: readFileSync(tls.key),
            ...(tls.ca === undefined ? {} : { ca: readFileSync(tls.ca), requestCert: true, rejectUnauthorized: true }),
          },
          handler,
        );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${tls === undefined ? 'http' : 'https'}://127.0.0.1:${port}`,
    seen,
    stop: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
