#!/usr/bin/env node
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { credentials } from '@grpc/grpc-js';
import { GatewayClient } from '../../../gen/callscribe/v1/gateway.js';
import { formatFinal, formatSegment } from '../../../services/cli/src/format.js';
import { streamAudio } from '../../../services/common/src/transcribe-client.js';
import { startLocalStack } from '../local-stack.js';
import { ensureCorpus } from './corpus-cache.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const say = (m: string) => process.stdout.write(`demo: ${m}\n`);

async function main(): Promise<void> {
  const corpusDir = join(ROOT, '.cache', 'demo-corpus');
  const files = await ensureCorpus(corpusDir, say);
  say(`corpus: ${files.length} recordings in ${corpusDir}`);
  say('starting callscribe-transcriber (sphinx on CPU) and callscribe-gateway on ephemeral loopback ports...');
  const stack = await startLocalStack();
  say(`gateway at ${stack.gatewayAddress}, transcriber at ${stack.transcriberAddress}`);
  const client = new GatewayClient(stack.gatewayAddress, credentials.createInsecure());
  try {
    const sample = files.find((f) => f.includes('stereo')) ?? (files[0] as string);
    say(`transcribing the sample call ${sample} through the gateway:`);
    const audio = await readFile(join(corpusDir, sample));
    const result = await streamAudio((o) => client.streamTranscribe(o), audio, {
      deadlineMs: 300_000,
      onSegment: (s) => process.stdout.write(`  ${formatSegment(s)}\n`),
    });
    process.stdout.write(formatFinal(result.final).replace(/^/gm, '  ') + '\n');
    const reference = (await readFile(join(corpusDir, sample.replace(/\.wav$/, '.txt')), 'utf8')).trim();
    say(`reference: ${reference}`);
  } finally {
    client.close();
    await stack.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`demo failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
