import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { channelTargets, dnsName, splitHostPort } from '../../services/gateway/src/transcribers/transcriber-targets.js';

describe('the --transcriber list as grpc-js channel targets', () => {
  it('folds IP literals into one ipv4: or ipv6: target that round_robin balances', () => {
    assert.deepEqual(channelTargets(['127.0.0.1:1', '10.0.0.2:50052']), ['ipv4:127.0.0.1:1,10.0.0.2:50052']);
    assert.deepEqual(channelTargets(['[::1]:1', '[fd00::2]:2']), ['ipv6:[::1]:1,[fd00::2]:2']);
  });

  it('keeps a single address or name as it is: its resolver may return many addresses', () => {
    assert.deepEqual(channelTargets(['127.0.0.1:50052']), ['127.0.0.1:50052']);
    assert.deepEqual(channelTargets(['dns:///transcriber:50052']), ['dns:///transcriber:50052']);
  });

  it('gives each name of a list, or a mix of families, its own channel', () => {
    assert.deepEqual(channelTargets(['a.internal:1', 'b.internal:1']), ['a.internal:1', 'b.internal:1']);
    assert.deepEqual(channelTargets(['127.0.0.1:1', '[::1]:1']), ['127.0.0.1:1', '[::1]:1']);
    assert.deepEqual(channelTargets(['127.0.0.1:1', 'b.internal:1']), ['127.0.0.1:1', 'b.internal:1']);
  });

  it('over TLS keeps each address on its own channel, so each certificate is checked against its own host', () => {
    assert.deepEqual(channelTargets(['10.0.0.1:1', '10.0.0.2:1'], { tls: true }), ['10.0.0.1:1', '10.0.0.2:1']);
  });

  it('refuses an empty list', () => {
    assert.throws(() => channelTargets([]), /at least one transcriber/);
  });

  it('finds the name to look up for stats', () => {
    assert.equal(dnsName('dns:///transcriber:50052'), 'transcriber:50052');
    assert.equal(dnsName('dns://10.0.0.10:53/transcriber.ns.svc:50052'), 'transcriber.ns.svc:50052');
    assert.equal(dnsName('transcriber:50052'), 'transcriber:50052');
    assert.equal(dnsName('unix:///tmp/sock'), undefined);
    assert.deepEqual(splitHostPort('[::1]:7'), { host: '::1', port: '7' });
    assert.equal(splitHostPort('no-port'), undefined);
  });
});
