import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RequestLanguage } from '../../services/transcriber/src/request-language.js';

describe('request language: detected once, on the first speech chunk', () => {
  it('sends every chunk with the language the caller named', async () => {
    const lang = new RequestLanguage('pt');
    const chunks = await Promise.all([lang.forChunk(), lang.forChunk()]);
    assert.deepEqual(
      chunks.map((c) => c.language),
      ['pt', 'pt'],
    );
    assert.equal(await lang.resolved(), 'pt');
  });

  it('detects on the first chunk only; later chunks wait for its answer and carry it', async () => {
    const lang = new RequestLanguage('');
    const first = await lang.forChunk();
    assert.equal(first.language, '', 'the first chunk asks the engine to detect');
    let secondSettled = false;
    const second = lang.forChunk().then((c) => {
      secondSettled = true;
      return c;
    });
    await new Promise((r) => setImmediate(r));
    assert.equal(secondSettled, false, 'the second chunk waits for the detection');
    first.report('de');
    assert.equal((await second).language, 'de');
    assert.equal((await lang.forChunk()).language, 'de');
    assert.equal(await lang.resolved(), 'de');
  });

  it('reports "" when no chunk was sent, and lets waiters go on detecting if the first chunk failed', async () => {
    assert.equal(await new RequestLanguage('').resolved(), '');
    const lang = new RequestLanguage('');
    const first = await lang.forChunk();
    const second = lang.forChunk();
    first.fail();
    assert.equal((await second).language, '');
  });

  it('does not hold chunks back on an engine that knows one language, and reports it once heard', async () => {
    const lang = new RequestLanguage('', ['en']);
    assert.equal(await lang.resolved(), '', 'nothing heard yet: no language claimed');
    const chunks = await Promise.all([lang.forChunk(), lang.forChunk(), lang.forChunk()]);
    assert.deepEqual(
      chunks.map((c) => c.language),
      ['en', 'en', 'en'],
    );
    chunks[1]?.report('en');
    assert.equal(await lang.resolved(), 'en');
  });
});
