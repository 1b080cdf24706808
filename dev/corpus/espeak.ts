import { spawn } from 'node:child_process';

/** Runs a command, feeding `input` on stdin, and resolves with its stdout; fails with its stderr. */
export function run(cmd: string, args: string[], input?: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.on('error', (e) => reject(new Error(`cannot run ${cmd}: ${e.message} (install it: see scripts/setup.sh)`)));
    child.on('close', (code) =>
      code === 0
        ? resolve(Buffer.concat(out))
        : reject(new Error(`${cmd} ${args.join(' ')} failed (${code}): ${err.trim()}`)),
    );
    child.stdin.on('error', () => {});
    child.stdin.end(input);
  });
}

/** Speaks `text` with espeak-ng and returns 16 kHz mono float samples (sox does the resampling). */
export async function speak(text: string, voice = 'en-us+f2', wordsPerMinute = 150): Promise<Float32Array> {
  const wav = await run('espeak-ng', ['-v', voice, '-s', String(wordsPerMinute), '--stdout', text]);
  const pcm = await run(
    'sox',
    ['-t', 'wav', '-', '-t', 'f32', '-e', 'floating-point', '-r', '16000', '-c', '1', '-'],
    wav,
  );
  return new Float32Array(pcm.buffer.slice(pcm.byteOffset, pcm.byteOffset + pcm.byteLength));
}

/** Writes float samples at 16 kHz as a file of the given sox format arguments (e.g. 8 kHz mu-law WAV). */
export async function writeAudio(path: string, channels: Float32Array[], formatArgs: string[]): Promise<void> {
  const frames = channels[0]?.length ?? 0;
  const interleaved = new Float32Array(frames * channels.length);
  channels.forEach((ch, c) => {
    for (let i = 0; i < frames; i++) interleaved[i * channels.length + c] = ch[i] ?? 0;
  });
  // -D: sox dithers by default when it narrows samples, which would make every generated file,
  // and so every transcript of it, differ from run to run.
  await run(
    'sox',
    ['-D', '-t', 'f32', '-e', 'floating-point', '-r', '16000', '-c', String(channels.length), '-', ...formatArgs, path],
    Buffer.from(interleaved.buffer),
  );
}
