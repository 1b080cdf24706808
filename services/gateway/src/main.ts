#!/usr/bin/env node
import { configureLog, log } from '../../common/src/log.js';
import { OptionError, parseOptions } from '../../common/src/options.js';
import { onTerminationSignal } from '../../common/src/server-lifecycle.js';
import { gatewayHelp, gatewayOptions } from './config.js';
import { startGateway } from './server.js';

configureLog({ name: 'gateway' });
try {
  const args = parseOptions(gatewayOptions, process.argv.slice(2));
  if (args.help) {
    process.stdout.write(gatewayHelp());
    process.exit(0);
  }
  const started = startGateway(args.values);
  // Installed before start-up finishes, so a SIGTERM right after "listening on" still stops cleanly.
  onTerminationSignal(async () => (await started).stop());
  await started;
} catch (err: unknown) {
  if (err instanceof OptionError) {
    process.stderr.write(`callscribe-gateway: ${err.message}\n`);
    process.exit(2);
  }
  log.error('gateway failed to start', { error: err instanceof Error ? err.message : String(err) });
  process.exit(1);
}
