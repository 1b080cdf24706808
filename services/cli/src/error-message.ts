import { status as GrpcStatus } from '@grpc/grpc-js';
import { CLI_AUDIO_HINT, HEADERLESS_AUDIO_HINT } from '#common/audio-hints.js';
import { hintForStatus } from '#client/target-hints.js';

const STATUS_NAMES = new Map(
  Object.entries(GrpcStatus)
    .filter(([, v]) => typeof v === 'number')
    .map(([k, v]) => [v as number, k]),
);

/**
 * One line a person can act on: a file system error as "no such file: X", a gRPC error with its
 * status and what to do about it (the loadgen's preflight advice), the decoder's advice in the
 * CLI's own flags.
 */
export function describeError(err: unknown, target: string): string {
  const e = err as { code?: number | string; details?: string; message?: string; path?: string };
  if (e.code === 'ENOENT') return `no such file: ${e.path ?? e.message}`;
  if (e.code === 'EISDIR') return `${e.path ?? ''} is a folder, not a file`;
  if (e.code === 'EACCES') return `cannot read ${e.path ?? ''}: permission denied`;
  const text = (e.details ?? e.message ?? String(err)).replace(HEADERLESS_AUDIO_HINT, CLI_AUDIO_HINT);
  if (typeof e.code !== 'number') return text;
  const name = STATUS_NAMES.get(e.code) ?? String(e.code);
  const hint = hintForStatus(name);
  return `${text} (gRPC status ${e.code})${hint === undefined ? '' : `: ${target}: ${hint}`}`;
}
