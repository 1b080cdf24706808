import type { IncomingMessage } from 'node:http';
import { PassThrough, type Readable } from 'node:stream';
import busboy from 'busboy';
import { invalidArgument } from '#common/service-error.js';
import { payloadTooLarge } from './http-status.js';

export type FormFields = Map<string, string[]>;

export interface UploadedFile {
  /** The audio bytes as they arrive; reading it slowly slows the client down (backpressure). */
  stream: Readable;
  filename: string;
  /** Fields that came before the file part in the body (the rest are only known at its end). */
  fieldsBefore: FormFields;
}

export interface Upload {
  /** The `file` part, as soon as its headers arrive; undefined when the body ended without one. */
  file: Promise<UploadedFile | undefined>;
  /** Every field, once the body has been read to its end. */
  fields: Promise<FormFields>;
}

const MAX_FIELD_BYTES = 64 * 1024;

const malformed = (err: unknown) =>
  invalidArgument(`malformed multipart body: ${err instanceof Error ? err.message : String(err)}`);

/**
 * Parses a multipart/form-data body with busboy as it streams in: nothing is buffered beyond the
 * parser's own window, and the audio part is handed over as a stream the moment it starts.
 */
export function readUpload(req: IncomingMessage, maxBytes: number, signal: AbortSignal): Upload {
  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: req.headers,
      limits: { fileSize: maxBytes, fieldSize: MAX_FIELD_BYTES, fields: 64, files: 1 },
    });
  } catch (err: unknown) {
    const reason = err instanceof Error ? err.message : String(err);
    const failed = Promise.reject(invalidArgument(`the body is not multipart/form-data (${reason})`));
    failed.catch(() => {});
    return { file: failed, fields: failed as Promise<never> };
  }
  const fields: FormFields = new Map();
  let active: Readable | undefined;
  let settleFile: (file: UploadedFile | undefined) => void = () => {};
  let failFile: (err: unknown) => void = () => {};
  let settleFields: (f: FormFields) => void = () => {};
  let failFields: (err: unknown) => void = () => {};
  const file = new Promise<UploadedFile | undefined>((resolve, reject) => {
    settleFile = resolve;
    failFile = reject;
  });
  const all = new Promise<FormFields>((resolve, reject) => {
    settleFields = resolve;
    failFields = reject;
  });
  file.catch(() => {});
  all.catch(() => {});
  const fail = (err: unknown) => {
    failFile(err);
    failFields(err);
    req.unpipe(parser);
    // Not from inside busboy's own event: it still touches the part after emitting ('limit' sets truncated).
    setImmediate(() => {
      if (active !== undefined && !active.destroyed) active.destroy(err as Error);
      parser.destroy();
    });
  };

  parser.on('field', (name, value, info) => {
    if (info.valueTruncated) {
      fail(invalidArgument(`form field ${name} is longer than ${MAX_FIELD_BYTES} bytes`));
      return;
    }
    fields.set(name, [...(fields.get(name) ?? []), value]);
  });
  parser.on('file', (name, stream, info) => {
    // busboy errors a part's stream when the body ends inside it or the parser is destroyed; with no
    // listener that 'error' would end the gateway, so every part gets one whatever becomes of it.
    stream.on('error', (err: unknown) => fail(malformed(err)));
    if (name !== 'file') {
      stream.resume();
      fail(invalidArgument(`unexpected file field "${name}": send the audio in the multipart field named "file"`));
      return;
    }
    // The consumer reads this copy, so a broken body reaches it as the 400 it is, not as busboy's
    // bare Error (which would map to INTERNAL).
    const audio = new PassThrough();
    // Its reader (if one has started) gets the error through its own read; none may have yet.
    audio.on('error', () => {});
    stream.pipe(audio);
    // A consumer that stops early (an error downstream) must not leave busboy stuck on a full part.
    audio.once('close', () => {
      if (!stream.readableEnded) {
        stream.unpipe(audio);
        stream.resume();
      }
    });
    active = audio;
    stream.once('limit', () => fail(payloadTooLarge(maxBytes)));
    settleFile({ stream: audio, filename: info.filename ?? '', fieldsBefore: new Map(fields) });
  });
  parser.on('filesLimit', () => fail(invalidArgument('send exactly one file per request, in the field named "file"')));
  parser.on('fieldsLimit', () => fail(invalidArgument('too many form fields (at most 64)')));
  parser.on('error', (err: unknown) => fail(malformed(err)));
  parser.on('close', () => {
    settleFile(undefined);
    settleFields(fields);
  });
  const onAbort = () => fail(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  parser.on('close', () => signal.removeEventListener('abort', onAbort));
  req.pipe(parser);
  return { file, fields: all };
}
