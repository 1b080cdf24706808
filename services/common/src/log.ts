type Fields = Record<string, unknown>;
type Level = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

let processName = 'callscribe';
let minLevel: Level = (process.env['LOG_LEVEL'] as Level | undefined) ?? 'info';

export function configureLog(options: { name?: string; level?: Level }): void {
  if (options.name !== undefined) processName = options.name;
  if (options.level !== undefined) minLevel = options.level;
}

function write(level: Level, message: string, fields?: Fields): void {
  if (ORDER[level] < ORDER[minLevel]) return;
  const extra = fields === undefined ? '' : ' ' + JSON.stringify(fields);
  const line = `${new Date().toISOString()} ${processName} ${level} ${message}${extra}\n`;
  // Logs go to stderr so a CLI's stdout stays machine-readable (--json).
  process.stderr.write(line);
}

export const log = {
  debug: (m: string, f?: Fields) => write('debug', m, f),
  info: (m: string, f?: Fields) => write('info', m, f),
  warn: (m: string, f?: Fields) => write('warn', m, f),
  error: (m: string, f?: Fields) => write('error', m, f),
};
