import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

// The GPU image cannot be built here (no PyPI, no CUDA registry), so what keeps it startable is read
// from the Dockerfile itself: no system cuDNN beside torch's pip cuDNN, the pip libraries on
// LD_LIBRARY_PATH, pyannote's telemetry off, and a non-root user.
const FILE = fileURLToPath(new URL('../../../docker/transcriber-gpu.Dockerfile', import.meta.url));

interface Instruction {
  op: string;
  args: string;
}

function parseDockerfile(text: string): Instruction[] {
  const joined = text.replace(/\\\r?\n/g, ' ');
  return joined
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const space = line.search(/\s/);
      return space < 0
        ? { op: line.toUpperCase(), args: '' }
        : { op: line.slice(0, space).toUpperCase(), args: line.slice(space).trim() };
    });
}

/** `ENV A=1 B=2` and the legacy `ENV A 1`, in order; later ones win. */
function envOf(instructions: Instruction[]): Map<string, string> {
  const env = new Map<string, string>();
  for (const { op, args } of instructions) {
    if (op !== 'ENV') continue;
    if (!args.includes('=')) {
      const [key, ...rest] = args.split(/\s+/);
      if (key) env.set(key, rest.join(' '));
      continue;
    }
    for (const m of args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|\S*)/g)) {
      env.set(m[1] ?? '', (m[2] ?? '').replace(/^"|"$/g, ''));
    }
  }
  return env;
}

/** The image FROM names, with `${ARG}` replaced by the ARG's default. */
function baseImage(instructions: Instruction[]): string {
  const args = new Map<string, string>();
  for (const { op, args: text } of instructions) {
    if (op === 'ARG') {
      const [key, value] = text.split('=', 2);
      if (key && value !== undefined) args.set(key, value);
    }
    if (op === 'FROM') {
      return (text.split(/\s+/)[0] ?? '').replace(
        /\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g,
        (_, k: string) => args.get(k) ?? '',
      );
    }
  }
  return '';
}

function problems(text: string): string[] {
  const ins = parseDockerfile(text);
  const env = envOf(ins);
  const found: string[] = [];
  const base = baseImage(ins);
  if (base === '') found.push('no FROM');
  if (/cudnn/i.test(base)) found.push(`base image ${base} ships a system cuDNN beside torch's pip cuDNN`);
  const ld = env.get('LD_LIBRARY_PATH') ?? '';
  for (const lib of ['nvidia/cudnn/lib', 'nvidia/cublas/lib']) {
    if (!ld.includes(lib)) found.push(`LD_LIBRARY_PATH lacks the pip ${lib}`);
  }
  if ((env.get('PYANNOTE_METRICS_ENABLED') ?? '').toLowerCase() !== 'false') {
    found.push('PYANNOTE_METRICS_ENABLED is not false (pyannote.audio 4 sends metrics by default)');
  }
  const users = ins.filter((i) => i.op === 'USER').map((i) => i.args.split(':')[0] ?? '');
  const last = users.at(-1);
  if (last === undefined || last === 'root' || last === '0')
    found.push('the image runs as root (no non-root USER last)');
  const cmdAt = ins.findIndex((i) => i.op === 'CMD' || i.op === 'ENTRYPOINT');
  const userAt = ins.map((i) => i.op).lastIndexOf('USER');
  if (cmdAt >= 0 && userAt > cmdAt) found.push('USER comes after CMD');
  return found;
}

describe('GPU image (docker/transcriber-gpu.Dockerfile)', () => {
  it('has no cuDNN clash, telemetry off and a non-root user', () => {
    assert.deepEqual(problems(readFileSync(FILE, 'utf8')), []);
  });

  it('the user is uid 1000 with a Hugging Face cache it owns', () => {
    const ins = parseDockerfile(readFileSync(FILE, 'utf8'));
    const user = ins.filter((i) => i.op === 'USER').at(-1)?.args;
    assert.equal(user, 'callscribe');
    assert.ok(
      ins.some((i) => i.op === 'RUN' && /useradd\b.*--uid 1000\b.*\bcallscribe\b/.test(i.args)),
      'useradd --uid 1000 callscribe',
    );
    const hfHome = envOf(ins).get('HF_HOME') ?? '';
    assert.match(hfHome, /^\/home\/callscribe\//);
    assert.ok(
      ins.some(
        (i) =>
          i.op === 'RUN' &&
          i.args.includes('chown') &&
          hfHome.startsWith(i.args.match(/chown -R \S+ (\S+)/)?.[1] ?? '\0'),
      ),
      'the cache folder is chowned to the user',
    );
  });

  it('runs the transcriber as its entrypoint, so `run --rm transcriber doctor` reaches the doctor', () => {
    const ins = parseDockerfile(readFileSync(FILE, 'utf8'));
    const entry = ins.filter((i) => i.op === 'ENTRYPOINT').at(-1)?.args ?? '';
    assert.deepEqual(JSON.parse(entry), ['node', 'dist/services/transcriber/src/main.js']);
    // A flag in CMD would be replaced by `doctor`; the listen address must survive as the environment.
    assert.equal(envOf(ins).get('TRANSCRIBER_LISTEN'), '0.0.0.0:50052');
    assert.deepEqual(JSON.parse(ins.filter((i) => i.op === 'CMD').at(-1)?.args ?? '[]'), []);
  });

  it('the LD_LIBRARY_PATH folders are the ones the build step checks exist', () => {
    const ins = parseDockerfile(readFileSync(FILE, 'utf8'));
    const env = envOf(ins);
    const pip = env.get('PIP_NVIDIA') ?? '';
    assert.ok(pip !== '', 'PIP_NVIDIA names the pip nvidia folder');
    const ld = (env.get('LD_LIBRARY_PATH') ?? '').split(':');
    assert.ok(ld.includes(`${pip}/cudnn/lib`) && ld.includes(`${pip}/cublas/lib`), `${ld.join(':')} under ${pip}`);
    assert.ok(ins.some((i) => i.op === 'RUN' && i.args.includes('test -d "$PIP_NVIDIA/cudnn/lib"')));
  });

  it('catches each defect of the image as it was (cudnn base, no LD_LIBRARY_PATH, telemetry on, root)', () => {
    const old = [
      'ARG BASE_IMAGE=nvidia/cuda:12.8.1-cudnn-runtime-ubuntu22.04',
      'FROM ${BASE_IMAGE}',
      'RUN pip3 install torch==2.8.0 \\',
      '      whisperx==3.8.4',
      'ENV NLTK_DATA=/usr/local/share/nltk_data',
      'CMD ["node", "dist/services/transcriber/src/main.js"]',
    ].join('\n');
    assert.deepEqual(problems(old), [
      "base image nvidia/cuda:12.8.1-cudnn-runtime-ubuntu22.04 ships a system cuDNN beside torch's pip cuDNN",
      'LD_LIBRARY_PATH lacks the pip nvidia/cudnn/lib',
      'LD_LIBRARY_PATH lacks the pip nvidia/cublas/lib',
      'PYANNOTE_METRICS_ENABLED is not false (pyannote.audio 4 sends metrics by default)',
      'the image runs as root (no non-root USER last)',
    ]);
    assert.deepEqual(problems(`${old}\nENV PYANNOTE_METRICS_ENABLED=true\nUSER 0`).slice(3), [
      'PYANNOTE_METRICS_ENABLED is not false (pyannote.audio 4 sends metrics by default)',
      'the image runs as root (no non-root USER last)',
      'USER comes after CMD',
    ]);
  });
});
