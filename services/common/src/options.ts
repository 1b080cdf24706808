/**
 * Flags, environment and defaults for a binary, declared once: parsed into a validated object and
 * listed by --help. Precedence: flag, then environment, then default.
 */
export interface OptionSpec<T> {
  flag: string;
  env?: string;
  defaultValue: T;
  help: string;
  parse(raw: string, name: string): T;
  /** The flag may be given more than once; the value is then the array of every parsed value. */
  multiple?: boolean;
}

export class OptionError extends Error {
  override name = 'OptionError';
}

type Values<S> = { [K in keyof S]: S[K] extends OptionSpec<infer T> ? T : never };

export function option<T>(spec: OptionSpec<T>): OptionSpec<T> {
  return spec;
}

export const parsers = {
  string: (raw: string) => raw,
  int:
    (min: number, max: number) =>
    (raw: string, name: string): number => {
      const n = Number(raw);
      if (!Number.isInteger(n) || n < min || n > max) {
        throw new OptionError(`${name} must be an integer in [${min}, ${max}], got "${raw}"`);
      }
      return n;
    },
  number:
    (min: number, max: number) =>
    (raw: string, name: string): number => {
      const n = Number(raw);
      if (!Number.isFinite(n) || n < min || n > max) {
        throw new OptionError(`${name} must be a number in [${min}, ${max}], got "${raw}"`);
      }
      return n;
    },
  boolean: (raw: string, name: string): boolean => {
    if (['1', 'true', 'yes', 'on', ''].includes(raw.toLowerCase())) return true;
    if (['0', 'false', 'no', 'off'].includes(raw.toLowerCase())) return false;
    throw new OptionError(`${name} must be true or false, got "${raw}"`);
  },
  list: (raw: string): string[] =>
    raw
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0),
  choice:
    <C extends string>(choices: readonly C[]) =>
    (raw: string, name: string): C => {
      if (!(choices as readonly string[]).includes(raw)) {
        throw new OptionError(`${name} must be one of ${choices.join(', ')}, got "${raw}"`);
      }
      return raw as C;
    },
  hostPort: (raw: string, name: string): string => {
    const m = /^(.+):(\d{1,5})$/.exec(raw);
    if (m === null || Number(m[2]) > 65535) throw new OptionError(`${name} must be host:port, got "${raw}"`);
    return raw;
  },
};

export interface ParsedArgs<S> {
  values: Values<S>;
  positionals: string[];
  help: boolean;
}

export function parseOptions<S extends Record<string, OptionSpec<unknown>>>(
  specs: S,
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): ParsedArgs<S> {
  const byFlag = new Map<string, [string, OptionSpec<unknown>]>();
  for (const [key, spec] of Object.entries(specs)) byFlag.set(spec.flag, [key, spec]);
  const raw = new Map<string, string[]>();
  const take = (key: string, value: string) => raw.set(key, [...(raw.get(key) ?? []), value]);
  const positionals: string[] = [];
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--help' || arg === '-h') {
      help = true;
      continue;
    }
    if (!arg.startsWith('--')) {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const flag = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    const entry = byFlag.get(flag);
    if (entry === undefined) throw new OptionError(`unknown flag --${flag} (see --help)`);
    const [key, spec] = entry;
    if (eq !== -1) take(key, arg.slice(eq + 1));
    else if (typeof spec.defaultValue === 'boolean' && !(argv[i + 1] ?? '').match(/^(true|false)$/)) take(key, 'true');
    else {
      const next = argv[i + 1];
      if (next === undefined) throw new OptionError(`--${flag} needs a value`);
      take(key, next);
      i++;
    }
  }
  const values: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(specs)) {
    const given = raw.get(key);
    const fromFlag = given?.[given.length - 1];
    const fromEnv = spec.env === undefined ? undefined : env[spec.env];
    if (spec.multiple === true && given !== undefined) values[key] = given.map((v) => spec.parse(v, `--${spec.flag}`));
    else if (fromFlag !== undefined) values[key] = spec.parse(fromFlag, `--${spec.flag}`);
    else if (fromEnv !== undefined && fromEnv !== '') values[key] = spec.parse(fromEnv, spec.env ?? key);
    else values[key] = spec.defaultValue;
  }
  return { values: values as Values<S>, positionals, help };
}

/** Every option at its default: the base that overrides are laid on. */
export function optionDefaults<S extends Record<string, OptionSpec<unknown>>>(specs: S): Values<S> {
  return Object.fromEntries(Object.entries(specs).map(([k, s]) => [k, s.defaultValue])) as Values<S>;
}

export function formatHelp(usage: string, specs: Record<string, OptionSpec<unknown>>): string {
  const rows = Object.values(specs).map((s) => {
    const def = s.defaultValue === undefined || s.defaultValue === '' ? '' : ` (default: ${JSON.stringify(s.defaultValue)})`;
    const env = s.env === undefined ? '' : ` [env ${s.env}]`;
    return `  --${s.flag.padEnd(24)} ${s.help}${def}${env}`;
  });
  return `${usage}\n\nOptions:\n${rows.join('\n')}\n  --help                     show this help\n`;
}
