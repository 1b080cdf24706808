import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { isRow, type DoctorRow } from './doctor-rows.js';

export interface PythonChecksOptions {
  pythonPath: string;
  workerDir: string;
  backend: string;
  diarizer: string;
  /** Longest one check may run before the Python process is killed and the check fails. */
  checkTimeoutMs: number;
  signal: AbortSignal;
}

const STDERR_TAIL_CHARS = 4000;
const INTERPRETER_FIX =
  "point --python / CALLSCRIBE_PYTHON at a Python 3 interpreter that has the engine's packages (Debian's /usr/bin/python3 for sphinx; the GPU image sets it)";

/**
 * The worker's own checks (`python -m callscribe_worker.doctor --jsonl`), as rows while they arrive.
 * The Python side announces each check before running it; a check that says nothing for
 * `checkTimeoutMs` is stopped by killing the whole process group (a hung CUDA or network call cannot
 * be interrupted from inside), and every planned check after it is reported as not run. Whatever
 * goes wrong, the caller gets rows, never the interpreter's traceback.
 */
export async function* pythonChecks(options: PythonChecksOptions): AsyncGenerator<DoctorRow> {
  const started = Date.now();
  // Its own process group, so the cuDNN probes it starts die with it.
  const child = spawn(
    options.pythonPath,
    ['-u', '-m', 'callscribe_worker.doctor', '--engine', options.backend, '--diarizer', options.diarizer, '--jsonl'],
    {
      cwd: options.workerDir,
      env: { ...process.env, PYTHONPATH: options.workerDir },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    },
  );
  let spawnError: Error | undefined;
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('error', (err) => {
      spawnError = err;
      resolve({ code: null, signal: null });
    });
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
  let stderrTail = '';
  child.stderr.on('data', (b: Buffer) => {
    stderrTail = (stderrTail + b.toString()).slice(-STDERR_TAIL_CHARS);
  });
  const plan: string[] = [];
  const done = new Set<string>();
  let current = 'python';
  let hung: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  const arm = (check: string) => {
    clearTimeout(timer);
    current = check;
    timer = setTimeout(() => {
      hung = check;
      killGroup(child);
    }, options.checkTimeoutMs);
  };
  const stop = () => killGroup(child);
  options.signal.addEventListener('abort', stop, { once: true });
  process.once('exit', stop);
  arm('python');
  try {
    for await (const line of createInterface({ input: child.stdout, crlfDelay: Number.POSITIVE_INFINITY })) {
      const message = parseLine(line);
      if (message === undefined) continue;
      if (Array.isArray(message['plan'])) plan.push(...message['plan'].map(String));
      else if (typeof message['start'] === 'string') arm(message['start']);
      else if (isRow(message)) {
        clearTimeout(timer);
        done.add(message.check);
        yield message;
      }
    }
    const { code, signal } = await closed;
    clearTimeout(timer);
    const ranMs = Date.now() - started;
    if (spawnError !== undefined) {
      yield failRow('python', `cannot start ${options.pythonPath}: ${spawnText(spawnError)}`, INTERPRETER_FIX, ranMs);
      return;
    }
    if (plan.length === 0) {
      const why =
        hung !== undefined ? `did not start within ${seconds(options.checkTimeoutMs)}` : exitText(code, signal);
      yield failRow(
        'python',
        `${options.pythonPath} ${why} before the first check${lastLine(stderrTail)}`,
        INTERPRETER_FIX,
        ranMs,
      );
      return;
    }
    const stoppedAt = plan.find((check) => !done.has(check));
    if (stoppedAt === undefined) return;
    if (hung !== undefined)
      yield failRow(
        hung,
        `did not finish within ${seconds(options.checkTimeoutMs)}; stopped`,
        'a first start may still be downloading weights (model, alignment, pyannote): wait for it, or run doctor with a longer --check-timeout-ms; otherwise this step hangs (driver, network): the rows above narrow it down',
        options.checkTimeoutMs,
      );
    else
      yield failRow(
        current,
        `the Python doctor ${exitText(code, signal)} during this check${lastLine(stderrTail)}`,
        'a crash in a native library (CUDA, cuDNN, CTranslate2) during this step; the rows above say which versions are installed',
        0,
      );
    for (const check of plan)
      if (!done.has(check) && check !== current)
        yield { check, status: 'skip', detail: `not run: the doctor stopped at "${current}"`, fix: '', ms: 0 };
  } finally {
    clearTimeout(timer);
    options.signal.removeEventListener('abort', stop);
    process.removeListener('exit', stop);
    killGroup(child);
  }
}

function parseLine(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

function failRow(check: string, detail: string, fix: string, ms: number): DoctorRow {
  return { check, status: 'fail', detail, fix, ms };
}

function spawnText(err: Error): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file (ENOENT)';
  if (code === 'EACCES') return 'not executable (EACCES)';
  return err.message;
}

function exitText(code: number | null, signal: NodeJS.Signals | null): string {
  return signal !== null ? `was killed by ${signal}` : `exited with code ${code}`;
}

function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}

/** The cause a Python error ends with ("ModuleNotFoundError: ..."), without the traceback above it. */
function lastLine(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('Traceback') && !l.startsWith('File "') && !l.startsWith('^'));
  const last = lines.at(-1);
  return last === undefined ? '' : `: ${last}`;
}
