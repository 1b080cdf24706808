import { OptionError, parseOptions } from '#common/options.js';
import { redactText, registerSecretsFromEnv } from '#common/redact.js';
import { resolveTranscriberConfig } from '../config.js';
import { doctorHelp, doctorOptions } from './doctor-options.js';
import { formatRow, formatSummary, type DoctorRow } from './doctor-rows.js';
import { gpuRow } from './gpu-row.js';
import { pythonChecks } from './python-checks.js';

/**
 * `callscribe-transcriber doctor`: the checks of the worker's interpreter, with the host's GPU view
 * put where the Python side reaches its own GPU check. Resolves with the exit code: 0 when no row
 * failed, 1 when one did, 2 for a bad flag.
 */
export async function runDoctor(argv: readonly string[]): Promise<number> {
  let args: ReturnType<typeof parseOptions<typeof doctorOptions>>;
  try {
    args = parseOptions(doctorOptions, argv);
    if (args.positionals.length > 0)
      throw new OptionError(
        `unexpected argument "${args.positionals[0]}" (doctor takes flags only; see doctor --help)`,
      );
  } catch (err: unknown) {
    if (!(err instanceof OptionError)) throw err;
    process.stderr.write(`callscribe-transcriber doctor: ${err.message}\n`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(doctorHelp());
    return 0;
  }
  const { json, checkTimeoutMs, ...values } = args.values;
  const config = resolveTranscriberConfig(values);
  const started = Date.now();
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  if (!json)
    process.stdout.write(
      `callscribe-transcriber doctor: engine ${config.backend}, diarizer ${config.diarizer}, python ${config.pythonPath}, ${checkTimeoutMs / 1000} s a check\n`,
    );
  const rows: DoctorRow[] = [];
  // The Python side never prints a token; a library's error message might, so every row is redacted too.
  registerSecretsFromEnv();
  const emit = (raw: DoctorRow) => {
    const row = { ...raw, detail: redactText(raw.detail), fix: redactText(raw.fix) };
    rows.push(row);
    if (!json) process.stdout.write(formatRow(row));
  };
  // nvidia-smi's first call can take seconds: it runs beside the Python checks, shown before torch's view.
  const hostGpus = gpuRow(config);
  let gpusShown = false;
  try {
    for await (const row of pythonChecks({
      pythonPath: config.pythonPath,
      workerDir: config.workerDir,
      backend: config.backend,
      diarizer: config.diarizer,
      checkTimeoutMs,
      signal: abort.signal,
    })) {
      if (!gpusShown && row.check.startsWith('gpu')) {
        emit(await hostGpus);
        gpusShown = true;
      }
      emit(row);
    }
    if (!gpusShown) emit(await hostGpus);
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
  const passed = rows.every((r) => r.status !== 'fail');
  const elapsedMs = Date.now() - started;
  if (json)
    process.stdout.write(
      `${JSON.stringify({ ok: passed, engine: config.backend, diarizer: config.diarizer, python: config.pythonPath, elapsedMs, rows }, null, 2)}\n`,
    );
  else process.stdout.write(formatSummary(rows, elapsedMs));
  return abort.signal.aborted ? 130 : passed ? 0 : 1;
}
