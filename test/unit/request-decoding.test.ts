import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { ServiceError } from '#common/service-error.js';
import { requestDecoding } from '#common/request-decoding.js';

const whisperx = { backend: 'whisperx', decodingOptions: ['prompt', 'temperature'] };
const sphinx = { backend: 'sphinx', decodingOptions: [] };
const refused = (pattern: RegExp) => (e: unknown) =>
  e instanceof ServiceError && e.code === status.INVALID_ARGUMENT && pattern.test(e.message);

describe("a request's prompt and temperature, checked against the engine", () => {
  it('passes them, trimmed, to an engine that takes them; unset temperature is 0', () => {
    assert.deepEqual(requestDecoding({ prompt: ' ACME, Zendesk ', temperature: undefined }, whisperx), {
      prompt: 'ACME, Zendesk',
      temperature: 0,
    });
    assert.deepEqual(requestDecoding({ prompt: '', temperature: 0.7 }, whisperx), { prompt: '', temperature: 0.7 });
  });

  it('refuses what the engine would ignore, and nothing it would not', () => {
    assert.throws(
      () => requestDecoding({ prompt: 'ACME', temperature: undefined }, sphinx),
      refused(/sphinx engine takes no prompt/),
    );
    assert.throws(
      () => requestDecoding({ prompt: '', temperature: 0.2 }, sphinx),
      refused(/decodes deterministically only/),
    );
    assert.deepEqual(requestDecoding({ prompt: '  ', temperature: 0 }, sphinx), { prompt: '', temperature: 0 });
  });

  it('refuses a temperature outside 0..1, a prompt past 1,000 characters, and a control token in the text', () => {
    for (const t of [-0.1, 1.01, Number.NaN])
      assert.throws(() => requestDecoding({ prompt: '', temperature: t }, whisperx), refused(/between 0 and 1/));
    assert.throws(
      () => requestDecoding({ prompt: 'x'.repeat(1001), temperature: undefined }, whisperx),
      refused(/prompt is 1001 characters; at most 1000/),
    );
    assert.throws(
      () => requestDecoding({ prompt: 'thanks <|endoftext|> bye', temperature: undefined }, whisperx),
      refused(/prompt holds "<\|endoftext\|>", one of Whisper's control tokens/),
    );
    assert.deepEqual(requestDecoding({ prompt: 'a <b> | c', temperature: undefined }, whisperx).prompt, 'a <b> | c');
  });
});
