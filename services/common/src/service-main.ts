import { configureLog, log } from './log.js';
import { OptionError, parseOptions, type OptionSpec, type ParsedArgs } from './options.js';
import { onTerminationSignal } from './server-lifecycle.js';
import { registerSecretsFromEnv } from './redact.js';
import { packageVersion } from './version.js';

/**
 * The life of a service binary: parse flags (exit 2 with the reason on a bad one), print --help,
 * start, and stop cleanly on SIGINT/SIGTERM; the handler is installed before start-up finishes, so a
 * signal right after "listening on" still stops cleanly.
 */
export async function runService<S extends Record<string, OptionSpec<unknown>>>(
  name: string,
  specs: S,
  help: () => string,
  start: (values: ParsedArgs<S>['values']) => Promise<{ stop(): Promise<void> }>,
): Promise<void> {
  configureLog({ name });
  registerSecretsFromEnv();
  try {
    const args = parseOptions(specs, process.argv.slice(2));
    if (args.help || args.version) {
      process.stdout.write(args.help ? help() : `callscribe-${name} ${packageVersion()}\n`);
      process.exit(0);
    }
    if (args.positionals.length > 0)
      throw new OptionError(`unexpected argument "${args.positionals[0]}" (flags only; see --help)`);
    const started = start(args.values);
    onTerminationSignal(async () => (await started).stop());
    await started;
  } catch (err: unknown) {
    if (err instanceof OptionError) {
      process.stderr.write(`callscribe-${name}: ${err.message}\n`);
      process.exit(2);
    }
    log.error(`${name} failed to start`, { error: err instanceof Error ? err.message : String(err) });
    process.exit(1);
  }
}
