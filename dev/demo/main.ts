#!/usr/bin/env node
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { credentials } from '@grpc/grpc-js';
import { GatewayClient } from '#gen/callscribe/v1/gateway.js';
import { formatFinal, formatSegment } from '#client/format.js';
import { configureLog } from '#common/log.js';
import { streamAudio } from '#client/stream-audio.js';
import { defaultRunConfig } from '../../loadgen/src/config.js';
import { runLoadTest, terminalTable } from '../../loadgen/src/load-test.js';
import { startLocalStack } from '#dev/local-stack.js';
import { ensureCorpus } from './corpus-cache.js';
import { seedFiles, startLocalS3 } from './s3-server.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const say = (m: string) => process.stdout.write(`demo: ${m}\n`);
const BUCKET = 'call-recordings';
const PREFIX = 'demo/2026-11/';

/**
 * The README's main command: sample calls → a local S3-compatible server → the CPU stack → one call
 * transcribed for a look → the load generator from S3 at two concurrency levels → summary + report.
 */
async function main(): Promise<void> {
  configureLog({ level: 'warn' });
  const corpusDir = join(ROOT, '.cache', 'demo-corpus');
  const files = await ensureCorpus(corpusDir, say);
  const companions = (await readdir(corpusDir)).filter((f) => f.endsWith('.txt') || f.endsWith('.rttm'));
  say(
    `corpus: ${files.length} recordings (stereo 8 kHz mu-law and mono 16 kHz) with reference transcripts, in ${corpusDir}`,
  );

  const s3 = await startLocalS3([BUCKET]);
  await seedFiles(s3, BUCKET, PREFIX, corpusDir, [...files, ...companions]);
  say(`S3-compatible server (s3rver) at ${s3.endpoint}, seeded s3://${BUCKET}/${PREFIX}`);
  say('starting callscribe-transcriber (sphinx on CPU) and callscribe-gateway on ephemeral loopback ports...');
  const stack = await startLocalStack();
  say(`gateway ${stack.gatewayAddress} → transcriber ${stack.transcriberAddress}`);
  const client = new GatewayClient(stack.gatewayAddress, credentials.createInsecure());
  try {
    const sample = files.find((f) => f.includes('stereo')) ?? (files[0] as string);
    say(`one call first, to see what comes back: ${sample}`);
    const result = await streamAudio((o) => client.streamTranscribe(o), await readFile(join(corpusDir, sample)), {
      deadlineMs: 300_000,
      onSegment: (s) => process.stdout.write(`  ${formatSegment(s)}\n`),
    });
    process.stdout.write(formatFinal(result.final).replace(/^/gm, '  ') + '\n');
    say(`reference: ${(await readFile(join(corpusDir, sample.replace(/\.wav$/, '.txt')), 'utf8')).trim()}`);
    say('(sphinx is the embedded CPU engine: real, fast and weak on accuracy; the GPU backends are whisperx and hf)');

    const config = defaultRunConfig({
      source: `s3://${BUCKET}/${PREFIX}`,
      target: stack.gatewayAddress,
      s3Endpoint: s3.endpoint,
      cacheDir: join(ROOT, '.cache', 's3-cache'),
      out: join(ROOT, 'results'),
      runId: `demo-${new Date().toISOString().replace(/[:.]/g, '-')}`,
      sweep: ['1', '2'],
    });
    say(
      `load test: callscribe-loadgen run --source ${config.source} --s3-endpoint ${s3.endpoint} --sweep 1,2 (each level sends every recording once)`,
    );
    const run = await runLoadTest(config, (m) => process.stdout.write(`  ${m}\n`));
    process.stdout.write('\n' + terminalTable(run.summaries) + '\n\n');
    say(`${run.csvRows} request rows: ${run.runDir}/requests.csv`);
    say(`HTML report: ${run.runDir}/report.html`);
  } finally {
    client.close();
    await stack.stop();
    await s3.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`demo failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
