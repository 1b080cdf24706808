import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BIN } from './support/processes.js';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

const TOKEN = 'hf_doctorNodeTestSecret987654321';

/** `callscribe-transcriber doctor ARGS` as an operator runs it, with the environment the test gives. */
function doctor(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 120_000): Promise<Run> {
  const started = Date.now();
  return new Promise((resolve) => {
    const base = { ...process.env };
    // The operator's own settings must not steer these runs.
    for (const name of ['CALLSCRIBE_BACKEND', 'DIARIZER_BACKEND', 'CALLSCRIBE_PYTHON', 'HF_TOKEN', 'HF_HUB_OFFLINE'])
      delete base[name];
    const child = spawn(process.execPath, [BIN.transcriber, 'doctor', ...args], {
      env: { ...base, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: timeoutMs,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr, ms: Date.now() - started }));
  });
}

function row(stdout: string, check: string): string {
  const line = stdout.split('\n').find((l) => l.slice(6).startsWith(`${check} `));
  assert.ok(line !== undefined, `no "${check}" row in:\n${stdout}`);
  return line;
}

describe('callscribe-transcriber doctor', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'callscribe-doctor-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('passes on the CPU default (sphinx) with a timed decode of synthetic audio', async () => {
    const r = await doctor([]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    for (const check of ['python', 'package pocketsphinx', 'sphinx model', 'model', 'diarization'])
      assert.match(row(r.stdout, check), /^ok /);
    assert.match(row(r.stdout, 'decode'), /^ok .*synthetic audio\) decoded in \d+\.\d\d s/);
    assert.match(row(r.stdout, 'cudnn'), /^skip .*does not use cuDNN/);
    assert.doesNotMatch(r.stdout, /^FAIL/m);
    assert.match(r.stdout, /every check passed/);
  });

  it('gives the same rows as one JSON document with --json', async () => {
    const r = await doctor(['--json']);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as { ok: boolean; engine: string; rows: { check: string; status: string }[] };
    assert.equal(report.ok, true);
    assert.equal(report.engine, 'sphinx');
    assert.deepEqual(
      report.rows.filter((x) => x.status === 'ok').map((x) => x.check),
      [
        'python',
        'package numpy',
        'package pocketsphinx',
        'package scipy',
        'sphinx model',
        'model',
        'decode',
        'diarization',
      ],
    );
  });

  it('fails in seconds for an engine whose packages are missing, naming them and how to get them', async () => {
    const r = await doctor(['--engine', 'whisperx', '--diarizer', 'none']);
    assert.equal(r.code, 1, r.stdout);
    assert.ok(r.ms < 20_000, `took ${r.ms} ms`);
    assert.match(row(r.stdout, 'package whisperx'), /^FAIL .*whisperx is not installed for \/usr\/bin\/python3/);
    assert.match(r.stdout, /fix: pip install whisperx==3\.8\.4; or run the GPU image/);
    assert.match(row(r.stdout, 'model'), /^skip .*needs .*whisperx/);
    assert.doesNotMatch(r.stdout + r.stderr, /Traceback/);
  });

  it('fails clearly when the interpreter setting is broken', async () => {
    const missing = await doctor([], { CALLSCRIBE_PYTHON: join(dir, 'no-such-python') });
    assert.equal(missing.code, 1);
    assert.match(row(missing.stdout, 'python'), /^FAIL .*cannot start .*no-such-python: no such file/);
    assert.match(missing.stdout, /fix: point --python \/ CALLSCRIBE_PYTHON at a Python 3/);

    const notPython = await doctor(['--python', '/bin/sh']);
    assert.equal(notPython.code, 1);
    assert.match(
      row(notPython.stdout, 'python'),
      /^FAIL {2}python +\/bin\/sh exited with code \d+ before the first check/,
    );
    assert.doesNotMatch(notPython.stdout + notPython.stderr, /Traceback/);
  });

  it('stops an interpreter that hangs before its first check', async () => {
    const hang = join(dir, 'hanging-python');
    await writeFile(hang, '#!/bin/sh\nexec sleep 60\n');
    await chmod(hang, 0o755);
    const r = await doctor(['--python', hang, '--check-timeout-ms', '1000']);
    assert.equal(r.code, 1);
    assert.ok(r.ms < 15_000, `took ${r.ms} ms`);
    assert.match(row(r.stdout, 'python'), /did not start within 1 s before the first check/);
  });

  describe('a check that hangs (a hub that accepts and never answers)', () => {
    let hub: Server;
    const sockets: Socket[] = [];
    before(async () => {
      hub = createServer((s) => sockets.push(s));
      await new Promise<void>((resolve) => hub.listen(0, '127.0.0.1', resolve));
    });
    after(async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => hub.close(resolve));
    });

    it('is stopped at its time limit, named, and the checks after it are reported as not run', async () => {
      const address = hub.address();
      assert.ok(address !== null && typeof address === 'object');
      const r = await doctor(['--diarizer', 'pyannote', '--check-timeout-ms', '2000'], {
        HF_TOKEN: TOKEN,
        HF_ENDPOINT: `http://127.0.0.1:${address.port}`,
      });
      assert.equal(r.code, 1, r.stdout);
      assert.ok(r.ms < 30_000, `took ${r.ms} ms`);
      assert.match(row(r.stdout, 'hf token'), /^ok .*HF_TOKEN is set \(value not shown\)/);
      assert.match(row(r.stdout, 'gated models'), /^FAIL .*did not finish within 2 s; stopped/);
      assert.match(row(r.stdout, 'model'), /^skip .*not run: the doctor stopped at "gated models"/);
      assert.ok(sockets.length > 0, 'the doctor never asked the hub');
      assert.ok(!(r.stdout + r.stderr).includes(TOKEN), 'the token was printed');
    });
  });

  it('is listed by the transcriber’s --help, and has its own', async () => {
    const main = await new Promise<string>((resolve) => {
      const child = spawn(process.execPath, [BIN.transcriber, '--help'], { stdio: ['ignore', 'pipe', 'ignore'] });
      let out = '';
      child.stdout.on('data', (b: Buffer) => (out += b.toString()));
      child.on('close', () => resolve(out));
    });
    assert.match(main, /callscribe-transcriber doctor/);
    assert.match(main, /--backend .*\(also --engine\)/);
    const own = await doctor(['--help']);
    assert.equal(own.code, 0);
    assert.match(own.stdout, /--check-timeout-ms/);
    assert.match(own.stdout, /--json/);
    const bad = await doctor(['--engine', 'kaldi']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--backend must be one of sphinx, whisperx, hf/);
  });
});
