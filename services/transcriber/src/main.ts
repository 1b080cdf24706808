#!/usr/bin/env node
import { configureLog, log } from '../../common/src/log.js';
import { OptionError, parseOptions } from '../../common/src/options.js';
import { onTerminationSignal } from '../../common/src/server-lifecycle.js';
import { resolveTranscriberConfig, transcriberHelp, transcriberOptions } from './config.js';
import { startTranscriber } from './server.js';

configureLog({ name: 'transcriber' });
try {
  const args = parseOptions(transcriberOptions, process.argv.slice(2));
  if (args.help) {
    process.stdout.write(transcriberHelp());
    process.exit(0);
  }
  const started = startTranscriber(resolveTranscriberConfig(args.values));
  // Installed before start-up finishes, so a SIGTERM right after "listening on" still stops cleanly.
  onTerminationSignal(async () => (await started).stop());
  await started;
} catch (err: unknown) {
  if (err instanceof OptionError) {
    process.stderr.write(`callscribe-transcriber: ${err.message}\n`);
    process.exit(2);
  }
  log.error('transcriber failed to start', { error: err instanceof Error ? err.message : String(err) });
  process.exit(1);
}
