import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { credentials } from '@grpc/grpc-js';
import { parse } from 'csv-parse/sync';
import { GatewayClient } from '#gen/callscribe/v1/gateway.js';
import { streamAudio } from '#client/stream-audio.js';
import { checkHealth } from '#common/health-check.js';
import { defaultRunConfig } from '../loadgen/src/config.js';
import { runLoadTest } from '../loadgen/src/load-test.js';
import { defaultGatewayConfig } from '../services/gateway/src/config.js';
import { startGateway, type RunningGateway } from '../services/gateway/src/server.js';
import { SENTENCES, speechFile, WAV_16K } from './support/fixtures.js';
import { type FleetMember, startFleet, waitForHealth } from './support/fleet.js';
// For its side effect: test logs at warn, as in every suite that starts servers.
import './support/stack.js';

// Statuses a client may retry: the request did not run to an answer, and sending it again is safe.
const RETRIABLE = new Set(['UNAVAILABLE', 'RESOURCE_EXHAUSTED', 'ABORTED']);
const RATE_PER_SEC = 0.5;
const DURATION_SEC = 20;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('chaos: a fixed-rate load while a worker, then a transcriber, are killed and come back', () => {
  let fleet: FleetMember[];
  let gateway: RunningGateway;
  let source: string;
  let speech: Buffer;
  before(async () => {
    source = mkdtempSync(join(tmpdir(), 'callscribe-chaos-'));
    const [members, audio] = await Promise.all([
      startFleet(2),
      speechFile('chaos-balance.wav', SENTENCES.balance, 'en-us+f2', WAV_16K),
    ]);
    fleet = members;
    await writeFile(join(source, 'balance.wav'), audio);
    speech = audio;
    gateway = await startGateway(
      defaultGatewayConfig({ listen: '127.0.0.1:0', transcribers: fleet.map((m) => m.address) }),
    );
  });
  after(async () => {
    await gateway.stop(1000);
    await Promise.all(fleet.map((m) => m.stop()));
  });

  it('writes one row per request issued, each complete or retriable, and leaves every service healthy', async () => {
    const [a, b] = fleet as [FleetMember, FleetMember];
    const out = mkdtempSync(join(tmpdir(), 'callscribe-chaos-out-'));
    const config = defaultRunConfig({
      source,
      target: gateway.address,
      rate: RATE_PER_SEC,
      arrival: 'constant',
      durationSec: DURATION_SEC,
      out,
      runId: 'chaos',
      preflight: false,
      progress: 'off',
      // This test judges rows, not error rates: the run must go on through the faults.
      abortErrorRate: 1,
      backoffMaxMs: 0,
    });
    const run = runLoadTest(config, () => {});
    const chaos = (async () => {
      await sleep(3000);
      const worker = (await a.stats()).workers[0];
      assert.ok(worker !== undefined && worker.pid > 0);
      process.kill(worker.pid, 'SIGKILL');
      await sleep(4000);
      await b.kill('SIGKILL');
      await sleep(2000);
      await b.restart();
      return worker.pid;
    })();
    const [result, killedPid] = await Promise.all([run, chaos]);

    const rows = parse(await readFile(join(result.runDir, 'requests.csv'), 'utf8'), { columns: true }) as Record<
      string,
      string
    >[];
    const expected = Math.floor(RATE_PER_SEC * DURATION_SEC);
    assert.ok(result.requestsIssued >= expected - 1, `${result.requestsIssued} requests issued at a fixed rate`);
    assert.equal(rows.length, result.requestsIssued, 'one row per request issued');
    const failed = rows.filter((r) => r['status'] !== 'OK');
    for (const r of failed)
      assert.ok(RETRIABLE.has(r['status'] as string), `row failed with ${r['status']}: ${r['error']}`);
    assert.ok(failed.length < rows.length / 2, `${failed.length} of ${rows.length} failed`);
    process.stderr.write(`# chaos: ${rows.length} rows, ${failed.length} retriable failures\n`);

    // Healthy afterwards: the gateway and both transcribers serve, the killed worker was replaced and
    // the restarted transcriber takes requests again.
    assert.equal(await checkHealth(gateway.address), 'SERVING');
    for (const m of fleet) await waitForHealth(m.address, 'SERVING', 30_000);
    const workers = (await a.stats()).workers;
    assert.ok(workers.every((w) => w.pid !== killedPid && (w.state === 'idle' || w.state === 'busy')));
    assert.ok(
      workers.some((w) => w.restarts > 0),
      'the pool restarted the killed worker',
    );
    // round_robin alternates between the two: a few requests more reach the restarted one.
    const client = new GatewayClient(gateway.address, credentials.createInsecure());
    try {
      for (let i = 0; i < 4 && Number((await b.stats()).requestsCompleted) === 0; i++)
        await streamAudio((o) => client.streamTranscribe(o), speech, { deadlineMs: 60_000 });
    } finally {
      client.close();
    }
    assert.ok(Number((await b.stats()).requestsCompleted) > 0, 'the restarted transcriber serves requests');
  });
});
