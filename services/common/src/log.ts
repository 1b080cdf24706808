import pino, { type Logger } from 'pino';
import { redactText } from './redact.js';
import { currentRequest } from './request-context.js';

type Fields = Record<string, unknown>;
type Level = 'debug' | 'info' | 'warn' | 'error';

let processName = 'callscribe';
let minLevel: Level = (process.env['LOG_LEVEL'] as Level | undefined) ?? 'info';
let logger: Logger | undefined;

/**
 * JSON lines (pino) on stderr, so a CLI's stdout stays machine-readable (--json). Every line of a
 * call carries its request_id (and the client's request_tag); secrets are cut out of the finished
 * line, whatever field or message they hid in.
 */
function create(): Logger {
  return pino(
    {
      name: processName,
      level: minLevel,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: {
        paths: ['authorization', '*.authorization', 'apiKey', '*.apiKey', 'token', '*.token', 'password'],
        censor: '***',
      },
      mixin: () => {
        const r = currentRequest();
        if (r === undefined) return {};
        return r.requestTag === undefined
          ? { request_id: r.requestId }
          : { request_id: r.requestId, request_tag: r.requestTag };
      },
      hooks: { streamWrite: redactText },
    },
    // Synchronous: a line written just before process.exit() must not be lost.
    pino.destination({ dest: 2, sync: true }),
  );
}

export function configureLog(options: { name?: string; level?: Level }): void {
  if (options.name !== undefined) processName = options.name;
  if (options.level !== undefined) minLevel = options.level;
  logger = undefined;
}

function write(level: Level, message: string, fields?: Fields): void {
  logger ??= create();
  if (fields === undefined) logger[level](message);
  else logger[level](fields, message);
}

export const log = {
  debug: (m: string, f?: Fields) => write('debug', m, f),
  info: (m: string, f?: Fields) => write('info', m, f),
  warn: (m: string, f?: Fields) => write('warn', m, f),
  error: (m: string, f?: Fields) => write('error', m, f),
};
