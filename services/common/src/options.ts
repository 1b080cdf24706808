import { parseArgs, type ParseArgsConfig } from 'node:util';
import { closestName } from './suggest.js';
/**
 * Flags, environment and defaults for a binary, declared once: parsed into a validated object and
 * listed by --help. Precedence: flag, then environment, then default.
 */
export interface OptionSpec<T> {
  flag: string;
  /** Other spellings of the same flag (e.g. whisperX's `output_format`), listed by --help. */
  aliases?: readonly string[];
  /** A one-letter form, e.g. `o` for `-o`. */
  short?: string;
  /** The flag may repeat (made with `repeatable`); the value is every occurrence, parsed. */
  multiple?: boolean;
  env?: string;
  defaultValue: T;
  help: string;
  parse(raw: string, name: string): T;
}

export class OptionError extends Error {
  override name = 'OptionError';
}

type Values<S> = { [K in keyof S]: S[K] extends OptionSpec<infer T> ? T : never };

export function option<T>(spec: OptionSpec<T>): OptionSpec<T> {
  return spec;
}

/** A repeatable flag: `parse` reads one occurrence; the option's value is the array of them all. */
export function repeatable<T>(
  spec: Omit<OptionSpec<T[]>, 'parse' | 'multiple'> & { parse(raw: string, name: string): T },
): OptionSpec<T[]> {
  return { ...spec, multiple: true, parse: spec.parse as unknown as OptionSpec<T[]>['parse'] };
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
  choice: <C extends string>(choices: readonly C[]) =>
    Object.assign(
      (raw: string, name: string): C => {
        if (!(choices as readonly string[]).includes(raw)) {
          throw new OptionError(`${name} must be one of ${choices.join(', ')}, got "${raw}"`);
        }
        return raw as C;
      },
      { choices },
    ),
  hostPort: (raw: string, name: string): string => {
    // A URL is the usual slip (the gateway also has an HTTP port): say what to drop, not just the shape.
    const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(raw);
    if (scheme !== null)
      throw new OptionError(
        `${name} must be host:port without a scheme, got "${raw}": drop "${scheme[1]}://" (this port speaks gRPC; the HTTP API is the gateway's --http-listen port)`,
      );
    const m = /^(.+):(\d{1,5})$/.exec(raw);
    if (m === null || Number(m[2]) > 65535) throw new OptionError(`${name} must be host:port, got "${raw}"`);
    return raw;
  },
};

export interface ParsedArgs<S> {
  values: Values<S>;
  positionals: string[];
  help: boolean;
  version: boolean;
}

/**
 * Tokenises with node:util's parseArgs (strict: an unknown flag, a missing value or a value that
 * looks like another flag is an error, `--` ends the flags), then applies precedence and validation
 * from the one spec table.
 */
export function parseOptions<S extends Record<string, OptionSpec<unknown>>>(
  specs: S,
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): ParsedArgs<S> {
  const tokens: ParseArgsConfig['options'] = { help: { type: 'boolean', short: 'h' }, version: { type: 'boolean' } };
  for (const spec of Object.values(specs)) {
    const boolean = typeof spec.defaultValue === 'boolean';
    const type = boolean ? ('boolean' as const) : ('string' as const);
    tokens[spec.flag] = {
      type,
      multiple: spec.multiple === true,
      ...(spec.short === undefined ? {} : { short: spec.short }),
    };
    for (const alias of spec.aliases ?? []) tokens[alias] = { type, multiple: spec.multiple === true };
    // A switch that defaults on is turned off with --no-<flag>.
    if (boolean) tokens[`no-${spec.flag}`] = { type: 'boolean' };
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...argv], options: tokens, allowPositionals: true, strict: true });
  } catch (err: unknown) {
    const message = err instanceof Error ? err.message : String(err);
    const unknown = /^Unknown option '([^']+)'/.exec(message);
    // parseArgs's own hint about `--` would mislead here: a misspelt flag is the likely cause.
    if (unknown === null) throw new OptionError(`${message} (see --help)`);
    const flag = unknown[1] as string;
    const close = flag.startsWith('--') ? closestName(flag.slice(2), Object.keys(tokens)) : undefined;
    throw new OptionError(
      `unknown flag ${flag}${close === undefined ? '' : ` (did you mean --${close}?)`} (see --help)`,
    );
  }
  const values: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(specs)) {
    const name = `--${spec.flag}`;
    // The first spelling given wins; a flag and its alias together are the same flag twice.
    const fromFlag = [spec.flag, ...(spec.aliases ?? [])].map((f) => parsed.values[f]).find((v) => v !== undefined);
    const fromEnv = spec.env === undefined ? undefined : env[spec.env];
    if (Array.isArray(fromFlag)) values[key] = fromFlag.map((raw) => spec.parse(String(raw), name));
    else if (typeof fromFlag === 'boolean') values[key] = fromFlag;
    else if (parsed.values[`no-${spec.flag}`] === true) values[key] = false;
    else if (fromFlag !== undefined) values[key] = spec.parse(fromFlag, name);
    else if (fromEnv !== undefined && fromEnv !== '') values[key] = spec.parse(fromEnv, spec.env ?? key);
    else values[key] = spec.defaultValue;
  }
  return {
    values: values as Values<S>,
    positionals: parsed.positionals,
    help: parsed.values['help'] === true,
    version: parsed.values['version'] === true,
  };
}

/** A mistyped command, named with the closest known one. */
export function unknownCommand(program: string, command: string, commands: readonly string[]): OptionError {
  const close =
    closestName(command, commands) ?? commands.find((c) => c.startsWith(command.slice(0, 3)) || command.startsWith(c));
  return new OptionError(
    `unknown command "${command}"${close === undefined ? '' : ` (did you mean "${close}"?)`}; commands: ${commands.join(', ')}; see ${program} --help`,
  );
}

/** Every option at its default: the base that overrides are laid on. */
export function optionDefaults<S extends Record<string, OptionSpec<unknown>>>(specs: S): Values<S> {
  return Object.fromEntries(Object.entries(specs).map(([k, s]) => [k, s.defaultValue])) as Values<S>;
}

export function formatHelp(usage: string, specs: Record<string, OptionSpec<unknown>>): string {
  const rows = Object.values(specs).map((s) => {
    const choices = (s.parse as { choices?: readonly string[] }).choices;
    const one = choices === undefined ? '' : ` {${choices.join('|')}}`;
    const def =
      s.defaultValue === undefined || s.defaultValue === '' ? '' : ` (default: ${JSON.stringify(s.defaultValue)})`;
    const env = s.env === undefined ? '' : ` [env ${s.env}]`;
    const many = s.multiple === true ? ' (repeatable)' : s.defaultValue === true ? ` (--no-${s.flag} to turn off)` : '';
    const also = [...(s.short === undefined ? [] : [`-${s.short}`]), ...(s.aliases ?? []).map((a) => `--${a}`)];
    const aliases = also.length === 0 ? '' : ` (also ${also.join(', ')})`;
    return `  --${s.flag.padEnd(24)} ${s.help}${one}${def}${many}${aliases}${env}`;
  });
  return `${usage}\n\nOptions:\n${rows.join('\n')}\n  --help, -h                 show this help\n  --version                  print the version\n`;
}
