import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseRttm } from '#client/rttm.js';
import { twoSpeakerDialogue } from './support/dialogue.js';
import { SENTENCES, speechFile, WAV_16K } from './support/fixtures.js';
import { BIN, runBinary, startBinary, stopBinary, type Started } from './support/processes.js';

describe('callscribe transcribe FILE...: several files, output files, hints', () => {
  let transcriber: Started;
  let gateway: Started;
  const dir = mkdtempSync(join(tmpdir(), 'callscribe-cli-'));
  const a = join(dir, 'in', 'a.wav');
  const b = join(dir, 'in', 'b.wav');
  before(async () => {
    transcriber = await startBinary(BIN.transcriber, ['--listen', '127.0.0.1:0', '--workers', '1']);
    gateway = await startBinary(BIN.gateway, ['--listen', '127.0.0.1:0', '--transcriber', transcriber.address]);
    await mkdir(join(dir, 'in'));
    await writeFile(a, await speechFile('cli-a.wav', SENTENCES.support, 'en-us+f2', WAV_16K));
    await writeFile(b, await speechFile('cli-b.wav', SENTENCES.balance, 'en-us+m3', WAV_16K));
  });
  after(async () => {
    await stopBinary(gateway);
    await stopBinary(transcriber);
  });

  it('writes <name>.srt per input into -o, and nothing half-written', async () => {
    const out = join(dir, 'out');
    const r = await runBinary(BIN.cli, [
      'transcribe',
      a,
      b,
      '--output-format',
      'srt',
      '-o',
      out,
      '--target',
      gateway.address,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual((await readdir(out)).sort(), ['a.srt', 'b.srt']);
    const srt = await readFile(join(out, 'a.srt'), 'utf8');
    assert.match(srt, /^1\n\d\d:\d\d:\d\d,\d{3} --> \d\d:\d\d:\d\d,\d{3}\n.*(thank|calling|support)/);
    assert.match(r.stderr, /\[2\/2\] .*b\.wav: [\d.]+ s of audio/);
    assert.match(r.stderr, /2 file\(s\): 2 transcribed, 0 failed · [\d.]+ h of audio in [\d.]+ s · RTFx [\d.]+/);
  });

  it('takes a folder and whisperX spellings; a missing file fails the run, named, and the others are still written', async () => {
    const out = join(dir, 'out2');
    const missing = join(dir, 'in', 'nope.wav');
    const r = await runBinary(BIN.cli, [
      'transcribe',
      join(dir, 'in'),
      missing,
      '--output_format',
      'txt',
      '--output_dir',
      out,
      '--target',
      gateway.address,
    ]);
    assert.equal(r.code, 1);
    assert.ok(r.stderr.includes(`no such file: ${missing}`), r.stderr);
    assert.match(r.stderr, /3 file\(s\): 2 transcribed, 1 failed/);
    assert.deepEqual((await readdir(out)).sort(), ['a.txt', 'b.txt']);
    assert.match(await readFile(join(out, 'b.txt'), 'utf8'), /\S/);
  });

  it('shows word timings in text mode with --words', async () => {
    const r = await runBinary(BIN.cli, ['transcribe', a, '--words', '--target', gateway.address]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^\[00:0\d\.\d\d - 00:0\d\.\d\d\] .+\n {4}00:0\d\.\d\d - 00:0\d\.\d\d {2}\S+/m);
  });

  it("takes whisperX's --initial_prompt, and says so when the engine cannot use it", async () => {
    const r = await runBinary(BIN.cli, [
      'transcribe',
      a,
      '--initial_prompt',
      'ACME, Zendesk',
      '--target',
      gateway.address,
    ]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /the sphinx engine takes no prompt; leave prompt empty/);
    const t = await runBinary(BIN.cli, ['transcribe', a, '--temperature', '2', '--target', gateway.address]);
    assert.notEqual(t.code, 0);
    assert.match(t.stderr, /--temperature must be a number in \[0, 1\]/);
  });

  it('writes RTTM from the speakers of the words, inside the true turns', async () => {
    const call = await twoSpeakerDialogue();
    const path = join(dir, 'call.wav');
    await writeFile(path, call.stereo);
    const out = join(dir, 'out3');
    const r = await runBinary(BIN.cli, [
      'transcribe',
      path,
      '--diarization',
      'channels',
      '--output-format',
      'rttm,json',
      '-o',
      out,
      '--target',
      gateway.address,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const turns = parseRttm(await readFile(join(out, 'call.rttm'), 'utf8'));
    assert.ok(new Set(turns.map((t) => t.speaker)).size >= 2, JSON.stringify(turns));
    // Every written turn is speech of someone: mostly inside one of the call's real turns (±0.3 s).
    for (const t of turns) {
      const inside = call.turns.some((c) => t.startSec >= c.startSec - 0.3 && t.endSec <= c.endSec + 0.3);
      assert.ok(inside, `turn ${JSON.stringify(t)} is not inside any true turn ${JSON.stringify(call.turns)}`);
    }
    // Words were asked for the turns only: the JSON keeps none, as without --words.
    const json = JSON.parse(await readFile(join(out, 'call.json'), 'utf8')) as { segments: { words: unknown[] }[] };
    assert.ok(json.segments.length > 0 && json.segments.every((s) => s.words.length === 0));
  });

  it('exits 0, quietly, when the reader closes stdout early (| head -1)', async () => {
    const child = spawn(process.execPath, [BIN.cli, 'transcribe', join(dir, 'in'), '--target', gateway.address], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // The first line is the first file's header; the second file is still to come when the pipe closes.
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.equal(code, 0, stderr);
    assert.doesNotMatch(stderr, /EPIPE|\n\s+at /);
  });

  it('says what to do about a URL, the transcriber port, a dead target and a text file', async () => {
    const url = await runBinary(BIN.cli, ['transcribe', a, '--target', `http://${gateway.address}`]);
    assert.notEqual(url.code, 0);
    assert.match(url.stderr, /--target must be host:port without a scheme.*drop "http:\/\/"/);
    const wrongPort = await runBinary(BIN.cli, ['transcribe', a, '--target', transcriber.address]);
    assert.equal(wrongPort.code, 1);
    assert.match(wrongPort.stderr, /is --target the gateway \(not the transcriber\)\?/);
    const dead = await runBinary(BIN.cli, ['transcribe', a, '--target', '127.0.0.1:1']);
    assert.equal(dead.code, 1);
    assert.match(dead.stderr, /is the gateway running\? check --target/);
    const text = join(dir, 'notes.txt');
    await writeFile(text, 'not audio, just a note');
    const t = await runBinary(BIN.cli, ['transcribe', text, '--target', gateway.address]);
    assert.equal(t.code, 1);
    assert.match(t.stderr, /pass --encoding .* and --sample-rate/);
    assert.doesNotMatch(t.stderr, /config\.format/);
  });

  it('suggests the flag meant: --wrods → --words, in the loadgen too', async () => {
    const r = await runBinary(BIN.cli, ['transcribe', a, '--wrods']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /unknown flag --wrods \(did you mean --words\?\)/);
    const l = await runBinary(BIN.loadgen, ['run', '--concurency', '3']);
    assert.match(l.stderr, /unknown flag --concurency \(did you mean --concurrency\?\)/);
  });
});
