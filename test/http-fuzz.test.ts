import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startStack, type Stack } from './support/stack.js';
import { wavHeader } from './support/wav-header.js';
import { gc, rng } from './support/fuzzing.js';

const BOUNDARY = 'callscribe-fuzz-7MA4YWxk';

/** A multipart body as curl -F writes it: optional fields, then the audio part. */
function multipart(audio: Buffer, options: { field?: string; fields?: Record<string, string> } = {}): Buffer {
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(options.fields ?? {}))
    parts.push(Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
  parts.push(
    Buffer.from(
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${options.field ?? 'file'}"; filename="call.wav"\r\n` +
        'Content-Type: audio/wav\r\n\r\n',
    ),
    audio,
    Buffer.from(`\r\n--${BOUNDARY}--\r\n`),
  );
  return Buffer.concat(parts);
}

/** 20 ms of quiet 8 kHz PCM: small, so every offset of the body can be tried. */
function quietWav(): Buffer {
  const data = Buffer.alloc(320);
  for (let i = 0; i < data.length; i += 2) data.writeInt16LE(((i * 7919) % 61) - 30, i);
  return Buffer.concat([wavHeader({ rate: 8000, dataBytes: data.length }), data]);
}

interface RawReply {
  status: number;
  body: string;
}

/**
 * One request written byte for byte on a socket, so the test can lie in its headers and cut its body
 * anywhere. The body goes chunked unless a Content-Length is given, so a cut body is still a complete
 * HTTP message and the gateway must answer it.
 */
function rawPost(
  address: string,
  path: string,
  body: Buffer,
  headers: Record<string, string> = { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` },
): Promise<RawReply> {
  const [host, port] = [
    address.slice(0, address.lastIndexOf(':')),
    Number(address.slice(address.lastIndexOf(':') + 1)),
  ];
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    const received: Buffer[] = [];
    socket.setTimeout(30_000, () => socket.destroy(new Error(`no answer within 30 s to ${path}`)));
    socket.on('data', (b) => received.push(b));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(received).toString('latin1');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
      resolve({ status, body: text.slice(text.indexOf('\r\n\r\n') + 4) });
    });
    const head = [`POST ${path} HTTP/1.1`, `Host: ${address}`, 'Connection: close'];
    for (const [k, v] of Object.entries(headers)) head.push(`${k}: ${v}`);
    const chunked = !Object.keys(headers).some((k) => k.toLowerCase() === 'content-length');
    if (chunked) head.push('Transfer-Encoding: chunked');
    socket.write(`${head.join('\r\n')}\r\n\r\n`);
    if (chunked) {
      if (body.length > 0)
        socket.write(Buffer.concat([Buffer.from(`${body.length.toString(16)}\r\n`), body, Buffer.from('\r\n')]));
      socket.write('0\r\n\r\n');
    } else socket.write(body);
    // Half-close: a body shorter than its Content-Length then ends with the connection.
    if (!chunked) socket.end();
  });
}

const PATHS = ['/asr/upload_file', '/v1/audio/transcriptions'];

describe('HTTP edge under hostile multipart bodies (real gateway and transcriber)', () => {
  let stack: Stack;
  let http: string;
  const wav = quietWav();
  before(async () => {
    stack = await startStack({ workers: 1 });
    http = stack.gateway.httpAddress as string;
  });
  after(() => stack.stop());

  /** The gateway is still up and still transcribes. */
  const stillServing = async () => {
    const ok = await rawPost(http, '/asr/upload_file', multipart(wav));
    assert.equal(ok.status, 200, `a valid upload after the hostile ones: ${ok.body}`);
  };

  it('a file part not named "file" is a 400 that says which name to use, and the gateway lives on', async () => {
    for (const path of PATHS) {
      const reply = await rawPost(http, path, multipart(wav, { field: 'other' }));
      assert.equal(reply.status, 400, reply.body);
      assert.match(reply.body, /named \\?"file\\?"/);
    }
    await stillServing();
  });

  it('a form field over 64 KiB is a 400, and the gateway lives on', async () => {
    for (const path of PATHS) {
      const reply = await rawPost(http, path, multipart(wav, { fields: { model: 'x'.repeat(70 * 1024) } }));
      assert.equal(reply.status, 400, reply.body);
      assert.match(reply.body, /longer than 65536 bytes/);
    }
    await stillServing();
  });

  it('a body cut at every offset is a 4xx (never a 5xx), and only a complete body succeeds', async () => {
    const body = multipart(wav);
    // The CRLF after the closing delimiter is optional (RFC 2046): from there on the form is whole.
    const complete = body.lastIndexOf(`--${BOUNDARY}--`) + BOUNDARY.length + 4;
    const statuses = new Map<number, number>();
    for (let cut = 0; cut <= body.length; cut += 1) {
      const reply = await rawPost(http, '/asr/upload_file', body.subarray(0, cut));
      statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1);
      if (cut >= complete) assert.equal(reply.status, 200, `cut at ${cut} of ${body.length}: ${reply.body}`);
      else
        assert.ok(
          reply.status >= 400 && reply.status < 500,
          `cut at ${cut} of ${body.length}: ${reply.status} ${reply.body}`,
        );
    }
    assert.equal(statuses.get(500), undefined, JSON.stringify([...statuses]));
  });

  it('header lies (boundary, length, type) and mutated part headers give 4xx or 200, never 5xx, with memory flat', async () => {
    const body = multipart(wav, { fields: { language: 'en' } });
    const lies: Array<[string, Record<string, string>, Buffer]> = [
      ['another boundary', { 'content-type': 'multipart/form-data; boundary=not-the-one' }, body],
      ['no boundary', { 'content-type': 'multipart/form-data' }, body],
      ['not multipart', { 'content-type': 'application/json' }, body],
      ['no content type', {}, body],
      [
        'longer than sent',
        { 'content-type': `multipart/form-data; boundary=${BOUNDARY}`, 'content-length': String(body.length + 500) },
        body,
      ],
      [
        'shorter than sent',
        { 'content-type': `multipart/form-data; boundary=${BOUNDARY}`, 'content-length': String(body.length - 40) },
        body,
      ],
    ];
    for (const [what, headers, b] of lies)
      for (const path of PATHS) {
        const reply = await rawPost(http, path, b, headers);
        // A body shorter than its declared length ends with the connection: no answer can be read.
        if (what === 'longer than sent')
          assert.ok(reply.status === 0 || reply.status < 500, `${what} ${path}: ${reply.status}`);
        else assert.ok(reply.status >= 400 && reply.status < 500, `${what} ${path}: ${reply.status} ${reply.body}`);
      }

    const random = rng(17);
    const headerEnd = body.indexOf('\r\n\r\n', body.indexOf('name="file"')) + 4;
    const round = async () => {
      for (let i = 0; i < 150; i++) {
        const mutated = Buffer.from(body);
        const flips = 1 + Math.floor(random() * 4);
        for (let f = 0; f < flips; f++) mutated[Math.floor(random() * headerEnd)] = Math.floor(random() * 256);
        const path = PATHS[i % PATHS.length] as string;
        const reply = await rawPost(http, path, mutated);
        assert.ok(
          reply.status === 200 || (reply.status >= 400 && reply.status < 500),
          `mutation ${i}: ${reply.status} ${reply.body}`,
        );
      }
    };
    await round();
    gc();
    const before = process.memoryUsage();
    await round();
    await round();
    gc();
    const grown = process.memoryUsage().heapUsed - before.heapUsed;
    assert.ok(grown < 8 * 1024 * 1024, `heap grew ${(grown / 1048576).toFixed(1)} MiB over 300 hostile requests`);
    await stillServing();
  });
});
