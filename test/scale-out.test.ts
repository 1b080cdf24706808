import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { credentials, type ServiceError, status } from '@grpc/grpc-js';
import { GatewayClient } from '#gen/callscribe/v1/gateway.js';
import type { ServerStats } from '#gen/callscribe/v1/stats.js';
import { streamAudio } from '#client/stream-audio.js';
import { checkHealth } from '#common/health-check.js';
import { defaultGatewayConfig } from '../services/gateway/src/config.js';
import { startGateway, type RunningGateway } from '../services/gateway/src/server.js';
import { SENTENCES, speechFile, WAV_16K } from './support/fixtures.js';
import { eventually, type FleetMember, startFleet, waitForHealth } from './support/fleet.js';
// For its side effect: test logs at warn, as in every suite that starts servers.
import './support/stack.js';

interface Outcome {
  startedAt: number;
  code: status;
}

/** Keeps `concurrency` requests going back to back until stopped; records every one. */
function steadyLoad(client: GatewayClient, audio: Buffer, concurrency: number) {
  const outcomes: Outcome[] = [];
  let running = true;
  const loops = Array.from({ length: concurrency }, async () => {
    while (running) {
      const startedAt = Date.now();
      const code = await streamAudio((o) => client.streamTranscribe(o), audio, { deadlineMs: 60_000 }).then(
        () => status.OK,
        (err: unknown) => (err as ServiceError).code ?? status.UNKNOWN,
      );
      outcomes.push({ startedAt, code });
    }
  });
  return {
    outcomes,
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

const completed = async (m: FleetMember) => Number((await m.stats()).requestsCompleted);
/** A request reached it: one is running there or has finished. */
const busy = (m: FleetMember) => async () => {
  const s = await m.stats();
  return s.inFlightRequests > 0 || Number(s.requestsCompleted) > 0;
};

describe('scale-out: one gateway, three transcribers on loopback', () => {
  let fleet: FleetMember[];
  let gateway: RunningGateway;
  let client: GatewayClient;
  let audio: Buffer;
  before(async () => {
    [fleet, audio] = await Promise.all([
      startFleet(3),
      speechFile('scale-balance.wav', SENTENCES.balance, 'en-us+f2', WAV_16K),
    ]);
    gateway = await startGateway(
      defaultGatewayConfig({ listen: '127.0.0.1:0', transcribers: fleet.map((m) => m.address) }),
    );
    client = new GatewayClient(gateway.address, credentials.createInsecure());
  });
  after(async () => {
    client.close();
    await gateway.stop(1000);
    await Promise.all(fleet.map((m) => m.stop()));
  });

  it('loses no request when a transcriber is killed mid-run, moves its traffic, and takes it back', async () => {
    const [a, b, c] = fleet as [FleetMember, FleetMember, FleetMember];
    const load = steadyLoad(client, audio, 3);
    try {
      await eventually(
        'every transcriber has served',
        async () => (await Promise.all(fleet.map(completed))).every((n) => n > 0),
        60_000,
      );
      const stats = await new Promise<ServerStats>((resolve, reject) =>
        client.getServerStats({}, (err, r) => (err !== null ? reject(err) : resolve(r))),
      );
      // Every address of the one balanced target answers (named by position: no key, no addresses).
      assert.equal(stats.transcribers.length, fleet.length);
      assert.deepEqual(stats.errors, []);
      const killedAt = Date.now();
      await b.kill('SIGKILL');
      const [a0, c0] = await Promise.all([completed(a), completed(c)]);
      await eventually(
        'the others carry the load',
        async () => (await completed(a)) > a0 && (await completed(c)) > c0,
        60_000,
      );

      await load.stop();
      const late = load.outcomes.filter((o) => o.startedAt > killedAt + 200);
      const failed = load.outcomes.filter((o) => o.code !== status.OK);
      // Only streams open on the killed transcriber may fail, and only with a status worth retrying.
      for (const o of failed) assert.equal(o.code, status.UNAVAILABLE, `request failed with ${status[o.code]}`);
      assert.ok(failed.length <= 3, `${failed.length} failures: at most the 3 streams in flight at the kill`);
      assert.deepEqual(
        late.filter((o) => o.code !== status.OK),
        [],
        'no request started after the kill fails',
      );

      // Back: new requests, 4 a second, until one lands on it. round_robin picks each READY
      // transcriber in turn, so this measures the reconnect, which the 1 s back-off cap keeps short
      // (grpc-js's default back-off, grown while it was down, kept it out for 7-8 s).
      await b.restart();
      const backAt = Date.now();
      const probes: Promise<unknown>[] = [];
      const prober = setInterval(() => {
        if (probes.length < 40)
          probes.push(streamAudio((o) => client.streamTranscribe(o), audio, { deadlineMs: 120_000 }));
      }, 250);
      let rejoinMs: number;
      try {
        rejoinMs = await eventually('the restarted transcriber gets traffic again', busy(b), 20_000);
      } finally {
        clearInterval(prober);
      }
      await Promise.all(probes);
      assert.ok((await completed(b)) > 0, 'it completes what it got');
      assert.ok(rejoinMs < 5000, `rejoined after ${rejoinMs} ms`);
      process.stderr.write(
        `# ${load.outcomes.length} requests under load, ${failed.length} UNAVAILABLE; first request on the restarted transcriber ${rejoinMs} ms after it listened (${Date.now() - backAt} ms with the probes)\n`,
      );
    } finally {
      await load.stop();
    }
  });

  it('drains a transcriber on SIGTERM: its streams finish, new ones go to the others, it exits 0', async () => {
    const load = steadyLoad(client, audio, 2);
    try {
      let draining: FleetMember | undefined;
      await eventually(
        'a stream is open on a transcriber',
        async () => {
          const inFlight = await Promise.all(fleet.map(async (m) => (await m.stats()).inFlightRequests));
          draining = fleet[inFlight.findIndex((n) => n > 0)];
          return draining !== undefined;
        },
        30_000,
      );
      const member = draining as FleetMember;
      const signalledAt = Date.now();
      const exited = member.kill('SIGTERM');
      const health = await checkHealth(member.address, 'callscribe.v1.Transcriber', 1000).catch(() => 'unreachable');
      assert.notEqual(health, 'SERVING', 'a draining transcriber is not ready');
      assert.equal(await exited, 0, 'exit 0 once drained');
      const others = fleet.filter((m) => m !== member);
      const before = await Promise.all(others.map(completed));
      await eventually(
        'the others carry the load',
        async () => (await Promise.all(others.map(completed))).reduce((x, y) => x + y) > before.reduce((x, y) => x + y),
        60_000,
      );
      await load.stop();
      assert.ok(load.outcomes.length > 0);
      assert.deepEqual(
        load.outcomes.filter((o) => o.code !== status.OK).map((o) => status[o.code]),
        [],
        'nothing fails: the drained streams finished, the new ones went elsewhere',
      );
      assert.ok(load.outcomes.some((o) => o.startedAt < signalledAt));
      await member.restart();
    } finally {
      await load.stop();
    }
  });

  it('reports NOT_SERVING while its only transcriber is down, and SERVING soon after it returns', async () => {
    const only = fleet[2] as FleetMember;
    // Through grpc-js's DNS resolver, as a Kubernetes headless Service is used.
    const port = only.address.slice(only.address.lastIndexOf(':') + 1);
    const solo = await startGateway(
      defaultGatewayConfig({ listen: '127.0.0.1:0', transcribers: [`dns:///localhost:${port}`] }),
    );
    const soloClient = new GatewayClient(solo.address, credentials.createInsecure());
    try {
      await waitForHealth(solo.address, 'SERVING', 10_000);
      await only.kill('SIGKILL');
      await waitForHealth(solo.address, 'NOT_SERVING', 10_000);
      const err = await streamAudio((o) => soloClient.streamTranscribe(o), audio, { deadlineMs: 10_000 }).then(
        () => undefined,
        (e: unknown) => e as ServiceError,
      );
      assert.equal(err?.code, status.UNAVAILABLE, 'a request with no transcriber up fails UNAVAILABLE at once');
      await only.restart();
      const backMs = await waitForHealth(solo.address, 'SERVING', 10_000);
      const result = await streamAudio((o) => soloClient.streamTranscribe(o), audio, { deadlineMs: 30_000 });
      assert.ok(result.final.transcript.length > 0);
      assert.ok(backMs < 5000, `SERVING ${backMs} ms after the transcriber listened again`);
    } finally {
      soloClient.close();
      await solo.stop(1000);
    }
  });

  it('drains a gateway told to stop: NOT_SERVING, new streams refused UNAVAILABLE, the open one finishes', async () => {
    const draining = await startGateway(
      defaultGatewayConfig({ listen: '127.0.0.1:0', transcribers: fleet.map((m) => m.address) }),
    );
    const drainingClient = new GatewayClient(draining.address, credentials.createInsecure());
    try {
      // Paced upload: the stream stays open while the gateway is told to stop.
      const open = streamAudio((o) => drainingClient.streamTranscribe(o), audio, {
        deadlineMs: 120_000,
        chunkBytes: 16 * 1024,
        delayBetweenChunksMs: 400,
      });
      await eventually(
        'the stream reached a transcriber',
        async () => (await Promise.all(fleet.map(async (m) => (await m.stats()).inFlightRequests))).some((n) => n > 0),
        30_000,
      );
      const stopped = draining.stop(60_000);
      const health = await checkHealth(draining.address, '', 1000).catch(() => 'unreachable');
      assert.notEqual(health, 'SERVING');
      const refused = await streamAudio((o) => drainingClient.streamTranscribe(o), audio, { deadlineMs: 10_000 }).then(
        () => undefined,
        (e: unknown) => e as ServiceError,
      );
      assert.equal(refused?.code, status.UNAVAILABLE, 'no new stream while draining');
      const result = await open;
      assert.ok(result.final.transcript.length > 0, 'the stream in flight finished');
      await stopped;
    } finally {
      drainingClient.close();
      await draining.stop(1000);
    }
  });
});
