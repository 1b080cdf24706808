import type { CallMiddleware } from './compose.js';

/** Calls of one method: running now, and finished by outcome. */
export interface MethodCounts {
  inFlight: number;
  succeeded: number;
  failed: number;
}

export interface CallCounts {
  /** A snapshot for one method (zeros before its first call): what GetStats and GetServerStats read. */
  counts(method: string): MethodCounts;
  middleware: CallMiddleware;
}

/** Per-method counts of the calls that reach it: placed after auth, a refused caller is not counted. */
export function createCallCounts(): CallCounts {
  const byMethod = new Map<string, MethodCounts>();
  return {
    counts: (method) => ({ ...(byMethod.get(method) ?? { inFlight: 0, succeeded: 0, failed: 0 }) }),
    middleware: async (context, next) => {
      let c = byMethod.get(context.method);
      if (c === undefined) {
        c = { inFlight: 0, succeeded: 0, failed: 0 };
        byMethod.set(context.method, c);
      }
      c.inFlight++;
      try {
        const result = await next(context);
        c.succeeded++;
        return result;
      } catch (err: unknown) {
        c.failed++;
        throw err;
      } finally {
        c.inFlight--;
      }
    },
  };
}
