import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { AUDIO_EXTENSIONS } from '#client/audio-extensions.js';

/** An input that names nothing to transcribe; reported against that input, the others still run. */
export interface MissingInput {
  input: string;
  error: string;
}

// Dotfiles are left out, as a shell's * leaves them: macOS copies leave ._x.wav beside x.wav.
const isAudio = (name: string) =>
  !name.startsWith('.') && AUDIO_EXTENSIONS.includes(extname(name).slice(1).toLowerCase());
const hasWildcard = (s: string) => /[*?[]/.test(s);

/** `*`, `?` and `[...]` of one path part, as a shell would match them (no dotfiles for `*`). */
function patternRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end === -1) re += '\\[';
      else {
        re += `[${pattern
          .slice(i + 1, end)
          .replace(/^!/, '^')
          .replaceAll('\\', '\\\\')}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^(?!\\.)${re}$`);
}

/**
 * The files behind the FILE arguments, in order, with each input that names none in its place: a
 * file as given, a folder's audio files (sorted, not recursive, no dotfiles), a pattern's matches in
 * its folder (quoted, so the shell left it; Node 20 has no fs.glob). A shell has already expanded
 * unquoted patterns.
 */
export async function expandInputs(args: readonly string[]): Promise<(string | MissingInput)[]> {
  const entries: (string | MissingInput)[] = [];
  for (const arg of args) {
    const info = await stat(arg).catch(() => undefined);
    if (info?.isDirectory() === true) {
      const found = (await readdir(arg)).filter(isAudio).sort();
      if (found.length === 0)
        entries.push({ input: arg, error: `no audio files in ${arg} (looked for .${AUDIO_EXTENSIONS.join(' .')})` });
      entries.push(...found.map((f) => join(arg, f)));
    } else if (info !== undefined) entries.push(arg);
    else if (hasWildcard(basename(arg)) && !hasWildcard(dirname(arg))) {
      const re = patternRegExp(basename(arg));
      const names = await readdir(dirname(arg)).catch(() => [] as string[]);
      const found = names.filter((f) => re.test(f)).sort();
      if (found.length === 0) entries.push({ input: arg, error: `no file matches ${arg}` });
      entries.push(...found.map((f) => (dirname(arg) === '.' && !arg.startsWith('./') ? f : join(dirname(arg), f))));
    } else entries.push({ input: arg, error: `no such file: ${arg}` });
  }
  return entries;
}
