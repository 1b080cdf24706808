#!/usr/bin/env node
import { writeFile } from 'node:fs/promises';
import * as hdr from 'hdr-histogram-js';
import { configureLog } from '#common/log.js';
import { OptionError, parseOptions, unknownCommand } from '#common/options.js';
import { redactText, registerSecretsFromEnv } from '#common/redact.js';
import { packageVersion } from '#common/version.js';
import { compareTable } from './compare/compare-output.js';
import { runCompare } from './compare/run-compare.js';
import { runHelp, runOptions, validateRunConfig } from './config.js';
import { formatAnswer } from './find-max/search-level.js';
import { EXIT } from './gate/exit-codes.js';
import { formatThresholdResult } from './gate/thresholds.js';
import { runLoadTest, terminalTable } from './load-test.js';
import { mergeHlogs } from './metrics/merge-hlog.js';
import { PreflightError } from './run/preflight.js';

configureLog({ name: 'loadgen' });
registerSecretsFromEnv();

async function merge(args: string[]): Promise<void> {
  const outAt = args.indexOf('--out');
  const out = outAt === -1 ? undefined : args[outAt + 1];
  const files = args.filter((_, i) => i !== outAt && i !== outAt + 1);
  if (files.length === 0)
    throw new OptionError('merge needs .hlog files: callscribe-loadgen merge a.hlog b.hlog [--out merged.hlog]');
  const merged = await mergeHlogs(files);
  process.stdout.write(
    `merged ${files.length} logs: ${merged.totalCount} samples (values in the logs' units: us for latencies)\n`,
  );
  for (const p of [50, 90, 99, 99.9, 100]) process.stdout.write(`  p${p}: ${merged.getValueAtPercentile(p)}\n`);
  if (out !== undefined) {
    let text = '';
    const writer = new hdr.HistogramLogWriter((s) => (text += s));
    writer.outputLogFormatVersion();
    writer.outputLegend();
    merged.startTimeStampMsec = 0;
    merged.endTimeStampMsec = 1000;
    writer.outputIntervalHistogram(merged);
    await writeFile(out, text);
  }
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === 'merge') {
    await merge(rest);
    return 0;
  }
  if (command === '--version') {
    process.stdout.write(`callscribe-loadgen ${packageVersion()}\n`);
    return 0;
  }
  if (command === undefined || command === '--help' || command === '-h') {
    process.stdout.write(runHelp());
    return command === undefined ? EXIT.usage : EXIT.ok;
  }
  if (command !== 'run') throw unknownCommand('callscribe-loadgen', command, ['run', 'merge']);
  const args = parseOptions(runOptions, rest);
  if (args.help) {
    process.stdout.write(runHelp());
    return EXIT.ok;
  }
  if (args.positionals.length > 0)
    throw new OptionError(`unexpected argument "${args.positionals[0]}" (see callscribe-loadgen run --help)`);
  const config = validateRunConfig(args.values);
  const controller = new AbortController();
  process.once('SIGINT', () => {
    process.stderr.write('\nstopping: no new requests; waiting for those in flight (Ctrl-C again to quit now)\n');
    controller.abort();
    process.once('SIGINT', () => process.exit(EXIT.interrupted));
  });
  if (config.compare !== '') {
    const compared = await runCompare(config, undefined, controller.signal);
    process.stdout.write(
      `\n${compareTable(compared)}\n\nsummary (both arms, ratios B/A): ${compared.runDir}/summary.json\nreport: ${compared.runDir}/report.html\n`,
    );
    return compared.exitCode;
  }
  const result = await runLoadTest(config, undefined, controller.signal);
  process.stdout.write('\n' + terminalTable(result.summaries) + '\n\n');
  if (result.thresholds.length > 0)
    process.stdout.write(
      `thresholds:\n${result.thresholds.map((t) => `  ${formatThresholdResult(t)}`).join('\n')}\n\n`,
    );
  if (result.aborted !== undefined) process.stdout.write(`aborted: ${result.aborted}\n`);
  if (result.findMax !== undefined) process.stdout.write(`find-max: ${formatAnswer(config, result.findMax)}\n\n`);
  process.stdout.write(
    `${result.csvRows} requests written to ${result.runDir}/requests.csv\nsummary: ${result.runDir}/summary.json\nreport: ${result.runDir}/report.html\n`,
  );
  return result.exitCode;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(redactText(`callscribe-loadgen: ${err instanceof Error ? err.message : String(err)}\n`));
    process.exit(err instanceof OptionError || err instanceof PreflightError ? EXIT.usage : EXIT.requestsFailed);
  },
);
