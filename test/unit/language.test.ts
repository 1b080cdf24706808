import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { ServiceError } from '../../services/common/src/service-error.js';
import { checkEngineLanguage, normaliseLanguage, whisperLanguage } from '../../services/common/src/language.js';

function invalid(fn: () => unknown, mentions: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ServiceError, `not a ServiceError: ${String(err)}`);
    assert.equal(err.code, status.INVALID_ARGUMENT);
    assert.ok(err.message.includes(mentions), `"${err.message}" does not mention ${mentions}`);
    return true;
  });
}

describe('language: BCP-47 at the edge, Whisper codes inside', () => {
  it('maps region, script and case away', () => {
    assert.equal(whisperLanguage('en-US'), 'en');
    assert.equal(whisperLanguage('pt-BR'), 'pt');
    assert.equal(whisperLanguage('zh-Hant-TW'), 'zh');
    assert.equal(whisperLanguage('EN'), 'en');
    assert.equal(whisperLanguage('es-419'), 'es');
    assert.equal(whisperLanguage(' fr-CA '), 'fr');
  });

  it('knows the codes Whisper spells its own way', () => {
    assert.equal(whisperLanguage('yue'), 'yue');
    assert.equal(whisperLanguage('yue-HK'), 'yue');
    assert.equal(whisperLanguage('zh-yue'), 'yue');
    assert.equal(whisperLanguage('haw'), 'haw');
    assert.equal(whisperLanguage('jv-ID'), 'jw');
    assert.equal(whisperLanguage('nb-NO'), 'no');
    assert.equal(whisperLanguage('iw'), 'he');
    assert.equal(whisperLanguage('fil-PH'), 'tl');
  });

  it('treats an empty or undetermined tag as "detect", never as English', () => {
    assert.equal(whisperLanguage(''), '');
    assert.equal(whisperLanguage('und'), '');
  });

  it('refuses unknown languages and malformed tags, naming the tag', () => {
    invalid(() => whisperLanguage('xx-YY'), '"xx-YY"');
    invalid(() => whisperLanguage('klingon'), '"klingon"');
    invalid(() => whisperLanguage('en_US'), '"en_US"');
    invalid(() => whisperLanguage('e'), '"e"');
  });

  it('checks the engine can take the language', () => {
    checkEngineLanguage('en', ['en'], 'sphinx');
    checkEngineLanguage('', ['en'], 'sphinx');
    checkEngineLanguage('pt', ['*'], 'whisperx');
    invalid(() => checkEngineLanguage('de', ['en'], 'sphinx'), 'sphinx does not transcribe german (de)');
    assert.equal(normaliseLanguage('en-GB', ['en'], 'sphinx'), 'en');
    assert.equal(normaliseLanguage('', ['*']), '');
    invalid(() => normaliseLanguage('pt-BR', ['en'], 'sphinx'), 'portuguese');
  });
});
