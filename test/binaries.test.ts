import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout } from 'node:timers/promises';
import { fixtureDir, SENTENCES, speechFile, WAV_8K_MULAW_STEREO } from './support/fixtures.js';
import { BIN, runBinary, startBinary, stopBinary, type Started } from './support/processes.js';

describe('binaries: callscribe-transcriber, callscribe-gateway, callscribe', () => {
  let transcriber: Started;
  let gateway: Started;
  before(async () => {
    transcriber = await startBinary(BIN.transcriber, ['--listen', '127.0.0.1:0', '--workers', '1']);
    gateway = await startBinary(BIN.gateway, ['--listen', '127.0.0.1:0', '--transcriber', transcriber.address]);
  });
  after(async () => {
    await stopBinary(gateway);
    await stopBinary(transcriber);
  });

  it('log the bound ephemeral port', () => {
    assert.match(transcriber.address, /^127\.0\.0\.1:[1-9]\d*$/);
    assert.match(gateway.address, /^127\.0\.0\.1:[1-9]\d*$/);
  });

  it('list flags, environment variables and defaults with --help', async () => {
    for (const [bin, flags] of [
      [BIN.transcriber, ['--listen', 'TRANSCRIBER_LISTEN', 'AUDIO_CHUNK_SEC', 'BATCH_SIZE', 'CALLSCRIBE_PYTHON']],
      [BIN.gateway, ['--listen', '--transcriber', '--http-listen', '0.0.0.0:50051']],
    ] as const) {
      const r = await runBinary(bin, ['--help']);
      assert.equal(r.code, 0);
      for (const f of flags) assert.ok(r.stdout.includes(f), `${bin} --help lacks ${f}`);
    }
  });

  it('refuse an unknown flag or a bad value with exit code 2 and the reason', async () => {
    const r = await runBinary(BIN.gateway, ['--lisen', 'x']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown flag --lisen/);
    const v = await runBinary(BIN.transcriber, ['--audio-chunk-sec', '90']);
    assert.equal(v.code, 2);
    assert.match(v.stderr, /--audio-chunk-sec must be a number in \[1, 30\]/);
  });

  it('transcribe a stereo 8 kHz mu-law call from the CLI, as text and as JSON', async () => {
    const wav = await speechFile('cli-call.wav', SENTENCES.balance, 'en-us+f2', WAV_8K_MULAW_STEREO, 2);
    const path = join(fixtureDir(), 'cli-call.wav');
    await writeFile(path, wav);
    const text = await runBinary(BIN.cli, ['transcribe', path, '--target', gateway.address]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^\[00:0\d\.\d\d - 00:0\d\.\d\d\] .*(like|account)/m);
    assert.match(
      text.stdout,
      /timings ms: decode [\d.]+ · vad [\d.]+ · queue [\d.]+ · asr [\d.]+ · total [\d.]+ · RTF/,
    );
    const json = await runBinary(BIN.cli, ['transcribe', path, '--target', gateway.address, '--json']);
    const parsed = JSON.parse(json.stdout) as {
      segments: unknown[];
      final: { channels: number; sourceFormat: string };
    };
    assert.equal(parsed.final.channels, 2);
    assert.equal(parsed.final.sourceFormat, 'wav/mulaw');
  });

  it('reports a gRPC error from the CLI with its status and a non-zero exit', async () => {
    const path = join(fixtureDir(), 'not-audio.txt');
    await writeFile(path, 'this is not audio at all, just text');
    const r = await runBinary(BIN.cli, ['transcribe', path, '--target', gateway.address]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /unrecognised audio.*\(gRPC status 3\)/);
  });

  it('exit 0 on SIGTERM', async () => {
    const extra = await startBinary(BIN.gateway, ['--listen', '127.0.0.1:0', '--transcriber', transcriber.address]);
    assert.equal(await stopBinary(extra), 0);
  });

  it('go with a bench or demo that started them when it is sent SIGTERM', async () => {
    const localStack = new URL('../dev/local-stack.js', import.meta.url).href;
    const script = `import { BIN, startBinary } from ${JSON.stringify(localStack)};
      const s = await startBinary(BIN.gateway, ['--listen', '127.0.0.1:0', '--transcriber', ${JSON.stringify(transcriber.address)}]);
      console.log('server pid', s.child.pid);
      setInterval(() => {}, 1000);`;
    const parent = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const serverPid = await new Promise<number>((resolve, reject) => {
      let out = '';
      parent.stdout.on('data', (b: Buffer) => {
        out += b.toString();
        const m = /server pid (\d+)/.exec(out);
        if (m !== null) resolve(Number(m[1]));
      });
      parent.once('exit', (code) => reject(new Error(`the script exited with ${code} before starting: ${out}`)));
    });
    const exited = new Promise<number | null>((resolve) => parent.once('exit', (code) => resolve(code)));
    const alive = () => {
      try {
        process.kill(serverPid, 0);
        return true;
      } catch {
        return false;
      }
    };
    try {
      parent.kill('SIGTERM');
      assert.equal(await exited, 143, 'the script exits as a process ended by SIGTERM does');
      for (let i = 0; i < 100 && alive(); i++) await setTimeout(100);
      assert.equal(alive(), false, `the gateway it started (pid ${serverPid}) outlived it`);
    } finally {
      if (alive()) process.kill(serverPid, 'SIGTERM');
    }
  });
});
