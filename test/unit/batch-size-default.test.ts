import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { optionDefaults } from '#common/options.js';
import { GPU_BATCH_SIZE, resolveTranscriberConfig, transcriberOptions } from '../../services/transcriber/src/config.js';

const saved = process.env['WHISPERX_BATCH_SIZE'];

function batchSize(backend: 'whisperx' | 'hf' | 'sphinx', batch = 0): number {
  return resolveTranscriberConfig({ ...optionDefaults(transcriberOptions), backend, batchSize: batch }).batchSize;
}

describe('batch size defaults', () => {
  afterEach(() => {
    if (saved === undefined) delete process.env['WHISPERX_BATCH_SIZE'];
    else process.env['WHISPERX_BATCH_SIZE'] = saved;
  });

  it("is whisperX's own 16 on a GPU engine, 4 for sphinx", () => {
    delete process.env['WHISPERX_BATCH_SIZE'];
    assert.equal(GPU_BATCH_SIZE, 16);
    assert.equal(batchSize('whisperx'), 16);
    assert.equal(batchSize('hf'), 16);
    assert.equal(batchSize('sphinx'), 4);
  });

  it('follows WHISPERX_BATCH_SIZE, then BATCH_SIZE', () => {
    process.env['WHISPERX_BATCH_SIZE'] = '8';
    assert.equal(batchSize('whisperx'), 8);
    assert.equal(batchSize('whisperx', 32), 32);
  });
});
