import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { readFileSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { statusOfHttp } from './http-status-names.js';

/** A multipart form: text fields first (servers that stream the file read them before it), then the file. */
export interface MultipartForm {
  fields: Array<[string, string]>;
  file: { field: string; filename: string; data: Buffer };
}

export interface HttpPostOptions {
  url: URL;
  headers: Record<string, string>;
  form: MultipartForm;
  agent: HttpAgent;
  deadlineMs: number;
  /** Pieces of the file written one at a time; with a byte rate, no faster than it (like a live call). */
  chunkBytes: number;
  paceBytesPerSec?: number;
  /** Each piece of the response body as it arrives (server-sent events are read this way). */
  onData?: (text: string) => void;
  /** The answer's headers, before any of its body. */
  onHeaders?: (headers: IncomingHttpHeaders) => void;
}

export interface HttpReply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** performance.now() when the last byte of the form was handed to the socket. */
  sentAt: number | undefined;
}

/** A request that did not get an HTTP answer, with the status name the loadgen counts it under. */
export class HttpCallError extends Error {
  override name = 'HttpCallError';
  constructor(
    readonly status: string,
    message: string,
  ) {
    super(message);
  }
}

// A body this large is no transcript: refuse it rather than hold it.
const MAX_REPLY_BYTES = 64 * 1024 * 1024;

const quote = (s: string) => s.replace(/["\r\n\\]/g, '_');

function formParts(form: MultipartForm, boundary: string): { head: Buffer; tail: Buffer } {
  const fields = form.fields
    .map(
      ([name, value]) => `--${boundary}\r\nContent-Disposition: form-data; name="${quote(name)}"\r\n\r\n${value}\r\n`,
    )
    .join('');
  const head = Buffer.from(
    `${fields}--${boundary}\r\nContent-Disposition: form-data; name="${quote(form.file.field)}"; filename="${quote(form.file.filename)}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
  );
  return { head, tail: Buffer.from(`\r\n--${boundary}--\r\n`) };
}

/** The TLS files of --tls-ca, --tls-cert, --tls-key and --tls-server-name, as the gRPC client takes them. */
export interface HttpTls {
  tlsCa: string;
  tlsCert: string;
  tlsKey: string;
  tlsServerName: string;
}

/** Keep-alive connections for an http(s) target; for https the CA (or the system roots) and an mTLS pair. */
export function httpAgent(url: string, tls: HttpTls): HttpAgent {
  const options = { keepAlive: true, maxSockets: Infinity };
  if (!url.startsWith('https:')) return new HttpAgent(options);
  return new HttpsAgent({
    ...options,
    ...(tls.tlsCa !== '' && tls.tlsCa !== 'system' ? { ca: readFileSync(tls.tlsCa) } : {}),
    ...(tls.tlsCert !== '' ? { cert: readFileSync(tls.tlsCert), key: readFileSync(tls.tlsKey) } : {}),
    ...(tls.tlsServerName !== '' ? { servername: tls.tlsServerName } : {}),
  });
}

// Errors before any answer: connection refused or reset, no such host, not HTTP/1.1 at all.
function transportError(err: NodeJS.ErrnoException, url: URL): HttpCallError {
  const code = err.code ?? '';
  if (code.startsWith('HPE_'))
    return new HttpCallError(
      'UNAVAILABLE',
      `${url.host} answered with something that is not HTTP/1.1 (${err.message}): is --target a gRPC port? use the HTTP port, or --protocol grpc`,
    );
  return new HttpCallError('UNAVAILABLE', `${url.host}: ${err.message}`);
}

/**
 * One multipart POST over node:http, the file written from the cached buffer in pieces (no copy of
 * the whole form). Resolves with any HTTP answer, 4xx and 5xx included; rejects with HttpCallError
 * when there is none (unreachable, cut, or past the deadline).
 */
export function postMultipart(o: HttpPostOptions): Promise<HttpReply> {
  const boundary = `callscribe-loadgen-${Math.random().toString(36).slice(2)}`;
  const { head, tail } = formParts(o.form, boundary);
  const data = o.form.file.data;
  const send = o.url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<HttpReply>((resolve, reject) => {
    let sentAt: number | undefined;
    let settled = false;
    const fail = (e: HttpCallError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      reject(e);
    };
    const timer = setTimeout(
      () =>
        fail(new HttpCallError('DEADLINE_EXCEEDED', `no complete answer within ${o.deadlineMs} ms (--deadline-ms)`)),
      o.deadlineMs,
    );
    const req = send(o.url, {
      method: 'POST',
      agent: o.agent,
      headers: {
        ...o.headers,
        'Content-Type': `multipart/form-data; boundary=${boundary}`,
        'Content-Length': String(head.length + data.length + tail.length),
      },
    });
    req.on('error', (err: NodeJS.ErrnoException) => fail(transportError(err, o.url)));
    req.on('response', (res) => {
      o.onHeaders?.(res.headers);
      const pieces: Buffer[] = [];
      // A character split between two pieces is joined before onData sees it.
      const decoder = new StringDecoder('utf8');
      let bytes = 0;
      res.on('data', (piece: Buffer) => {
        bytes += piece.length;
        if (bytes > MAX_REPLY_BYTES) {
          fail(new HttpCallError('INTERNAL', `the answer passed ${MAX_REPLY_BYTES} bytes`));
          return;
        }
        pieces.push(piece);
        if (o.onData !== undefined) o.onData(decoder.write(piece));
      });
      res.on('error', (err: NodeJS.ErrnoException) => fail(transportError(err, o.url)));
      res.on('end', () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(pieces).toString('utf8'),
          sentAt,
        });
      });
    });
    void writeForm(req, head, data, tail, o).then(
      () => {
        sentAt = performance.now();
      },
      // The request's own 'error' event says why; a server that answers before reading it all is fine.
      () => undefined,
    );
  });
}

async function writeForm(
  req: NodeJS.WritableStream & { destroyed?: boolean },
  head: Buffer,
  data: Buffer,
  tail: Buffer,
  o: HttpPostOptions,
): Promise<void> {
  const write = (b: Buffer) =>
    new Promise<void>((resolve, reject) => {
      if (req.write(b)) resolve();
      else {
        req.once('drain', resolve);
        req.once('error', reject);
      }
    });
  await write(head);
  const startedAt = performance.now();
  for (let at = 0; at < data.length; at += o.chunkBytes) {
    if (req.destroyed === true) throw new Error('request closed');
    if (o.paceBytesPerSec !== undefined) {
      const dueMs = startedAt + (at / o.paceBytesPerSec) * 1000 - performance.now();
      if (dueMs > 0) await new Promise((r) => setTimeout(r, dueMs));
    }
    await write(data.subarray(at, at + o.chunkBytes));
  }
  await new Promise<void>((resolve) => req.end(tail, () => resolve()));
}

/** The failure an HTTP status stands for, with the server's own message (FastAPI, OpenAI or plain text). */
export function httpFailure(reply: HttpReply): HttpCallError {
  let message = reply.body.trim().slice(0, 500);
  try {
    const doc = JSON.parse(reply.body) as { detail?: unknown; error?: { message?: unknown } };
    const said = doc.error?.message ?? doc.detail;
    if (said !== undefined) message = typeof said === 'string' ? said : JSON.stringify(said);
  } catch {
    // Not JSON: the text as it came.
  }
  const retryAfter = reply.headers['retry-after'];
  const retry = retryAfter === undefined ? '' : ` (retry-after ${String(retryAfter)} s)`;
  return new HttpCallError(statusOfHttp(reply.status), `HTTP ${reply.status}: ${message || '(no body)'}${retry}`);
}
