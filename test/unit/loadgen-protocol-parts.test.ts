import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultRunConfig } from '../../loadgen/src/config.js';
import { statusOfHttp } from '../../loadgen/src/run/protocols/http-status-names.js';
import { httpFailure } from '../../loadgen/src/run/protocols/http-post.js';
import {
  openAiFields,
  OpenAiEvents,
  readOpenAiDocument,
  type OpenAiProtocolOptions,
} from '../../loadgen/src/run/protocols/openai.js';
import { endpointUrl, parseLoadgenTarget } from '../../loadgen/src/run/protocols/protocol-choice.js';
import { SseReader } from '../../loadgen/src/run/protocols/sse-reader.js';
import { readWhisperxAnswer } from '../../loadgen/src/run/protocols/whisperx-http.js';

const openAi: OpenAiProtocolOptions = {
  target: 'http://h:1',
  apiKey: '',
  tls: { tlsCa: '', tlsCert: '', tlsKey: '', tlsServerName: '' },
  model: 'whisper-1',
  language: '',
  diarization: 'none',
  stream: true,
  chunkBytes: 1024,
  deadlineMs: 1000,
};

describe('loadgen HTTP protocols, piece by piece', () => {
  it('counts HTTP failures under the status names the loadgen already backs off and hints on', () => {
    assert.equal(statusOfHttp(429), 'RESOURCE_EXHAUSTED');
    assert.equal(statusOfHttp(503), 'UNAVAILABLE');
    assert.equal(statusOfHttp(400), 'INVALID_ARGUMENT');
    assert.equal(statusOfHttp(401), 'UNAUTHENTICATED');
    assert.equal(statusOfHttp(403), 'PERMISSION_DENIED');
    assert.equal(statusOfHttp(504), 'DEADLINE_EXCEEDED');
    assert.equal(statusOfHttp(418), 'FAILED_PRECONDITION');
    const e = httpFailure({
      status: 429,
      headers: { 'retry-after': '3' },
      body: '{"error":{"message":"slow down"}}',
      sentAt: undefined,
    });
    assert.equal(e.status, 'RESOURCE_EXHAUSTED');
    assert.equal(e.message, 'HTTP 429: slow down (retry-after 3 s)');
    assert.equal(
      httpFailure({ status: 400, headers: {}, body: '{"detail":"bad wav"}', sentAt: undefined }).message,
      'HTTP 400: bad wav',
    );
  });

  it('reads server-sent events split anywhere', () => {
    const r = new SseReader();
    assert.deepEqual(r.feed('data: {"a"'), []);
    assert.deepEqual(r.feed(':1}\n'), []);
    assert.deepEqual(r.feed('\ndata: x\r\n\r\ndata: y\ndata: z\n\n'), ['{"a":1}', 'x', 'y\nz']);
    assert.equal(r.rest, '');
  });

  it('times the first text of a stream and takes the text from the done event', () => {
    const ev = new OpenAiEvents();
    ev.feed('data: {"type":"transcript.text.delta","delta":" "}\n\n', 5);
    ev.feed('data: {"type":"transcript.text.delta","delta":"hello"}\n\n', 10);
    ev.feed('data: {"type":"transcript.text.delta","delta":" world"}\n\n', 20);
    ev.feed('data: {"type":"transcript.text.done","text":"hello world"}\n\n', 30);
    const a = ev.answer(false);
    assert.equal(a.firstTextAt, 10, 'blank deltas are not text');
    assert.equal(a.transcript, 'hello world');
    assert.equal(a.segments, undefined, 'deltas are not segments');
    assert.deepEqual(a.stagesMs, {});
    const cut = new OpenAiEvents();
    cut.feed('data: {"type":"transcript.text.delta","delta":"hi"}\n\n');
    assert.throws(() => cut.answer(false), /ended without a transcript\.text\.done/);
    const failed = new OpenAiEvents();
    failed.feed('data: {"error":{"message":"no worker","code":"UNAVAILABLE"}}\n\n');
    assert.throws(
      () => failed.answer(false),
      (e: { status?: string }) => e.status === 'UNAVAILABLE',
    );
  });

  it('takes speaker turns from diarized events and documents, for DER', () => {
    const ev = new OpenAiEvents();
    ev.feed(
      'data: {"type":"transcript.text.segment","id":"seg_0","start":0,"end":1.5,"text":"hi","speaker":"A"}\n\n' +
        'data: {"type":"transcript.text.segment","id":"seg_1","start":1.5,"end":3,"text":"yo","speaker":"B"}\n\n' +
        'data: {"type":"transcript.text.done","text":"hi yo"}\n\n',
      7,
    );
    const a = ev.answer(true);
    assert.equal(a.speakers, 2);
    assert.equal(a.segments, 2);
    assert.deepEqual(
      a.turns?.map((t) => [t.startSec, t.endSec, t.speaker]),
      [
        [0, 1.5, 'A'],
        [1.5, 3, 'B'],
      ],
    );
    const doc = readOpenAiDocument(
      '{"text":"hi","duration":3.2,"segments":[{"id":0,"start":0,"end":3,"text":"hi"}]}',
      false,
    );
    assert.equal(doc.audioSec, 3.2);
    assert.equal(doc.segments, 1);
    assert.equal(doc.turns, undefined);
    assert.throws(() => readOpenAiDocument('{"detail":"x"}', false), /not an OpenAI transcription/);
  });

  it('asks OpenAI for what the run needs: events to time, verbose_json without, diarized_json for DER', () => {
    const get = (o: Partial<OpenAiProtocolOptions>) => Object.fromEntries(openAiFields({ ...openAi, ...o }));
    assert.deepEqual(get({}), { model: 'whisper-1', response_format: 'json', stream: 'true' });
    assert.deepEqual(get({ stream: false, language: 'en' }), {
      model: 'whisper-1',
      language: 'en',
      response_format: 'verbose_json',
    });
    assert.equal(get({ diarization: 'auto' })['response_format'], 'diarized_json');
    assert.equal(get({ diarization: 'auto' })['diarization'], undefined, 'auto is what diarized_json means');
    assert.equal(get({ diarization: 'channels' })['diarization'], 'channels');
  });

  it('reads the WhisperX FastAPI shape: only the stages it names, speakers only when diarized', () => {
    const body = JSON.stringify({
      segments: [
        { speaker: 'SPEAKER_00', sentence: ' hello there ', start_time: 0, end_time: 1 },
        { speaker: 'SPEAKER_01', sentence: 'general', start_time: 1, end_time: 2 },
      ],
      response_time: 0.9,
      debug: {
        audio_duration_sec: 2.5,
        whisperx_perf: { load_audio_sec: 0.01, asr_sec: 0.5, diar_sec: 0.3, assign_sec: 0.02, backend: 'whisperx' },
      },
    });
    const plain = readWhisperxAnswer(body, false);
    assert.equal(plain.transcript, 'hello there general');
    assert.equal(plain.audioSec, 2.5);
    assert.deepEqual(plain.stagesMs, { decode: 10, asr: 500, total: 900 });
    assert.equal(plain.speakers, undefined);
    assert.equal(plain.engine?.backend, 'whisperx');
    const diarized = readWhisperxAnswer(body, true);
    assert.equal(diarized.speakers, 2);
    assert.equal(diarized.stagesMs.diarize, 300);
    const bare = readWhisperxAnswer('{"segments":[]}', false);
    assert.deepEqual(bare.stagesMs, {}, 'no debug block: no stages, not zeros');
    assert.equal(bare.engine, undefined);
    assert.throws(() => readWhisperxAnswer('{"text":"x"}', false), /no "segments" list/);
  });

  it('takes --target as host:port for gRPC and a base URL for HTTP, and checks it fits --protocol', () => {
    assert.equal(parseLoadgenTarget('http://h:8002/', '--target'), 'http://h:8002');
    assert.equal(parseLoadgenTarget('h:50051', '--target'), 'h:50051');
    assert.throws(() => parseLoadgenTarget('ftp://h:1', '--target'), /http:\/\/ or https:\/\//);
    assert.throws(() => parseLoadgenTarget('http://u:p@h:1', '--target'), /credentials/);
    assert.equal(endpointUrl('http://h:1/prefix', '/v1/models').href, 'http://h:1/prefix/v1/models');
    assert.throws(() => defaultRunConfig({ source: '.', target: 'http://h:1' }), /--protocol is grpc/);
    assert.throws(() => defaultRunConfig({ source: '.', protocol: 'openai', target: 'h:1' }), /needs --target http/);
    assert.throws(
      () => defaultRunConfig({ source: '.', protocol: 'whisperx-http', target: 'http://h:1', diarization: 'cluster' }),
      /whisperx-http takes --diarization none or auto/,
    );
    assert.equal(defaultRunConfig({ source: '.', protocol: 'openai', target: 'http://h:1' }).protocol, 'openai');
  });
});
