import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { chromium, type BrowserContext } from 'playwright-core';
import { defaultRunConfig } from '../loadgen/src/config.js';
import { runLoadTest } from '../loadgen/src/load-test.js';
import { REPORT_CHARTS } from '../loadgen/src/output/html-report.js';
import { createLiveProgress } from '../loadgen/src/output/live-progress.js';
import type { ProgressState } from '../loadgen/src/results/level-sinks.js';
import { SENTENCES, speechFile, WAV_16K } from './support/fixtures.js';
import { startStack, type Stack } from './support/stack.js';

// Debian's chromium, run as root on a machine without a display or network.
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

describe('the HTML report, looked at in headless Chromium', () => {
  let stack: Stack;
  let browser: BrowserContext;
  let report: string;
  before(async () => {
    stack = await startStack({ workers: 1 });
    const dir = mkdtempSync(join(tmpdir(), 'callscribe-report-corpus-'));
    await writeFile(
      join(dir, 'balance.wav'),
      await speechFile('report-balance.wav', SENTENCES.balance, 'en-us+f2', WAV_16K),
    );
    await writeFile(join(dir, 'balance.txt'), SENTENCES.balance);
    await writeFile(
      join(dir, 'refund.wav'),
      await speechFile('report-refund.wav', SENTENCES.refund, 'en-us+f3', WAV_16K),
    );
    const out = mkdtempSync(join(tmpdir(), 'callscribe-report-out-'));
    const result = await runLoadTest(
      defaultRunConfig({
        source: dir,
        target: stack.gateway.address,
        sweep: ['1', '2'],
        count: 3,
        out,
        runId: 'report',
        progress: 'off',
        thresholds: [],
      }),
      () => {},
    );
    report = join(result.runDir, 'report.html');
    // A fresh profile per run (playwright passes it as --user-data-dir); never a downloaded browser.
    browser = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'callscribe-chromium-')), {
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: CHROMIUM_ARGS,
    });
  });
  after(async () => {
    await browser?.close();
    await stack.stop();
  });

  it('renders every chart with no console error, from one self-contained file', async () => {
    const html = await readFile(report, 'utf8');
    assert.ok(!/<script|<link|https?:\/\/(?!www\.w3\.org)/.test(html), 'no script, no external asset');
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('request', (r) => {
      if (!r.url().startsWith('file:')) problems.push(`fetched ${r.url()}`);
    });
    await page.goto(pathToFileURL(report).href);
    for (const id of REPORT_CHARTS) {
      // Three requests a level have no p99: that chart is a note saying so (checked below).
      if (id === 'saturation') continue;
      const box = await page.locator(`figure[data-chart="${id}"] svg`).boundingBox();
      assert.ok(box !== null && box.width > 300 && box.height > 200, `${id} chart is drawn: ${JSON.stringify(box)}`);
      const shapes = await page.locator(`figure[data-chart="${id}"] svg path`).count();
      assert.ok(shapes > 3, `${id} chart has axes and marks (${shapes} paths)`);
    }
    assert.deepEqual(problems, []);
    await page.close();
  });

  it('shows the engine, the sweep, per-level labels, stage breakdown and small-sample warnings', async () => {
    const page = await browser.newPage();
    await page.goto(pathToFileURL(report).href);
    const meta = await page.locator('table.meta').innerText();
    assert.match(meta, /engine\s+sphinx · model \S+ · device cpu/i);
    assert.match(meta, /closed loop, concurrency 1 → 2 \(concurrency sweep\)/);
    // Collapsed in <details>: its text is there, not rendered until opened.
    const runConfig = (await page.locator('details pre').textContent()) ?? '';
    assert.match(runConfig, /"concurrency": "swept: 1, 2"/, 'the sweep, not the --concurrency default it replaced');
    const text = async (id: string) => (await page.locator(`figure[data-chart="${id}"] svg`).textContent()) ?? '';
    assert.match(
      await page.locator('figure[data-chart="saturation"]').innerText(),
      /not drawn: a p99 needs at least 100 successful requests per level, and the levels here had as few as 3/,
    );
    assert.equal(await page.locator('details pre').isVisible(), false, 'the configuration starts collapsed');
    const stages = await page.locator('figure[data-chart="stages"] svg text').allTextContents();
    for (const stage of ['decode', 'vad', 'asr'])
      assert.ok(stages.includes(stage), `stage ${stage} in the breakdown: ${stages.join('|')}`);
    const latency = await page.locator('figure[data-chart="latency"] svg text').allTextContents();
    assert.ok(
      latency.includes('c1 from intended start') && latency.includes('c1 from send'),
      'corrected and uncorrected on one chart',
    );
    assert.match(await page.locator('ul.warn').innerText(), /c1: 3 successful requests: p99 and above are the max/);
    assert.match(await text('errors'), /no request failed/);
    await page.close();
  });
});

describe('live progress', () => {
  const state = (done: number): ProgressState => ({
    level: 'c4 (concurrency 4)',
    done,
    total: 10,
    durationMs: undefined,
    elapsedMs: done * 1000,
    errors: 1,
    p50Ms: 812.4,
    p99Ms: 1900.2,
  });

  it('draws one updating line on a TTY: done/total, errors, p50/p99, ETA', async () => {
    const tty = Object.assign(new PassThrough(), { isTTY: true, columns: 160 }) as unknown as NodeJS.WriteStream;
    let written = '';
    (tty as unknown as PassThrough).on('data', (b: Buffer) => (written += b.toString()));
    const p = createLiveProgress('auto', tty);
    p.update(state(3));
    p.finish(state(10));
    await new Promise((r) => setImmediate(r));
    assert.match(
      written,
      /c4 \(concurrency 4\) \[[█░]+\] 10\/10 requests \| 1 errors \| p50 812 ms, p99 1900 ms \| ETA/,
    );
    assert.ok(written.includes('\x1b[') || written.includes('\r'), 'redrawn in place');
  });

  it('writes plain lines when not on a TTY', () => {
    const plain = Object.assign(new PassThrough(), { isTTY: false }) as unknown as NodeJS.WriteStream;
    let written = '';
    (plain as unknown as PassThrough).on('data', (b: Buffer) => (written += b.toString()));
    const p = createLiveProgress('auto', plain, 60_000);
    p.update(state(3));
    p.update(state(4)); // inside the interval: not printed
    p.finish(state(10));
    const lines = written.trim().split('\n');
    assert.deepEqual(lines, [
      'c4 (concurrency 4): 3/10 requests, 1 errors, p50 812 ms, p99 1900 ms, ETA 7 s',
      'c4 (concurrency 4): 10/10 requests, 1 errors, p50 812 ms, p99 1900 ms, ETA 0 s',
    ]);
    assert.ok(!written.includes('\r') && !written.includes('\x1b'));
  });
});
