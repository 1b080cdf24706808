import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OptionError } from '#common/options.js';
import { ratios, spread, type ArmFigures } from '../../loadgen/src/compare/arm-figures.js';
import { armConfig, checkArms, parseCompare } from '../../loadgen/src/compare/compare-keys.js';
import { defaultRunConfig } from '../../loadgen/src/config.js';

describe('--compare keys: an arm is the config with one field changed', () => {
  const base = defaultRunConfig({ source: './calls', target: 'gw:50051', language: 'en' });

  it('parses each key with its own option parser', () => {
    assert.deepEqual(parseCompare('diarization=none,auto').values, ['none', 'auto']);
    assert.deepEqual(parseCompare('target=a:50051, b:50051').values, ['a:50051', 'b:50051']);
    assert.deepEqual(parseCompare('chunk-bytes=4096,65536').values, [4096, 65536]);
    assert.deepEqual(parseCompare('language=,en').values, ['', 'en']);
    assert.throws(() => parseCompare('chunk-bytes=4096,12'), /--compare chunk-bytes must be an integer in \[256/);
    assert.throws(() => parseCompare('diarization'), OptionError);
    assert.throws(() => parseCompare('=none,auto'), OptionError);
  });

  it('checks each arm as a run of its own: a URL target needs an HTTP protocol, protocols share --target', () => {
    assert.throws(
      () => checkArms(base, parseCompare('target=a:1,http://b:2')),
      /arm http:\/\/b:2: --target http:\/\/b:2 is an HTTP URL but --protocol is grpc/,
    );
    assert.deepEqual(parseCompare('protocol=whisperx-http,openai').values, ['whisperx-http', 'openai']);
    checkArms({ ...base, target: 'http://gw:8002' }, parseCompare('protocol=whisperx-http,openai'));
    assert.throws(
      () => checkArms(base, parseCompare('protocol=grpc,openai')),
      /arm openai: .*both arms share --target/,
    );
    assert.throws(() => parseCompare('protocol=grpc,rest'), OptionError);
  });

  it('changes only the compared field', () => {
    const spec = parseCompare('diarization=none,cluster');
    const a = armConfig(base, spec, 0);
    const b = armConfig(base, spec, 1);
    assert.equal(a.diarization, 'none');
    assert.equal(b.diarization, 'cluster');
    assert.deepEqual({ ...b, diarization: base.diarization }, base);
    assert.equal(armConfig(base, parseCompare('target=x:1,y:2'), 1).target, 'y:2');
  });
});

const figures = (over: Partial<ArmFigures>): ArmFigures => ({
  requests: 8,
  errors: 0,
  latencyP50Ms: undefined,
  latencyP90Ms: undefined,
  latencyP99Ms: undefined,
  ttfsP50Ms: undefined,
  rtfP50: undefined,
  rtfx: undefined,
  throughputRps: undefined,
  wer: undefined,
  der: undefined,
  ...over,
});

describe('--compare figures', () => {
  it('gives B/A where both arms measured something and A is not 0', () => {
    const r = ratios(
      figures({ latencyP50Ms: 1000, rtfx: 8, wer: 0, der: undefined }),
      figures({ latencyP50Ms: 2500, rtfx: 4, wer: 0.2, der: 0.1 }),
    );
    assert.equal(r.latencyP50Ms, 2.5);
    assert.equal(r.rtfx, 0.5);
    assert.equal(r.wer, undefined, 'no ratio to a zero');
    assert.equal(r.der, undefined, 'no ratio where A did not measure it');
  });

  it('spreads each figure over the rounds that measured it', () => {
    const s = spread([
      figures({ latencyP99Ms: 900, der: undefined }),
      figures({ latencyP99Ms: 1200 }),
      figures({ latencyP99Ms: 1000 }),
    ]);
    assert.deepEqual(s.latencyP99Ms, { min: 900, max: 1200 });
    assert.equal(s.der, undefined);
  });
});
