import type { ChannelCredentials } from '@grpc/grpc-js';
import { checkHealth } from '#common/health-check.js';
import { hintForStatus, NOT_READY_HINT, UNREACHABLE_HINT } from '#client/target-hints.js';
import type { RequestResult } from '../results/request-result.js';

/** A run that cannot start: the target or the source is unusable. The message says what to fix. */
export class PreflightError extends Error {
  override name = 'PreflightError';
}

/** Asks the target's grpc.health.v1 once; a dead or wrong address fails here in seconds. */
export async function checkTarget(target: string, timeoutMs: number, creds?: ChannelCredentials): Promise<void> {
  let state: string;
  try {
    state = await checkHealth(target, '', timeoutMs, creds);
  } catch (err: unknown) {
    const e = err as { details?: string; message?: string };
    throw new PreflightError(
      `preflight: the target ${target} did not answer a health check in ${timeoutMs} ms (${e.details ?? e.message ?? String(err)}): ${UNREACHABLE_HINT}`,
    );
  }
  if (state !== 'SERVING') throw new PreflightError(`preflight: the target ${target} says ${state}: ${NOT_READY_HINT}`);
}

/** Judges the probe request: the one recording sent before any level. */
export function checkProbe(target: string, probe: RequestResult): void {
  if (probe.status === 'OK') return;
  // The probe ran after a passing health check, so UNAVAILABLE here is a server fault, not a wrong address.
  const shared =
    probe.status === 'UNAVAILABLE'
      ? undefined
      : hintForStatus(probe.status, `it cannot decode ${probe.file}: check the audio in --source (or narrow --ext)`);
  const hint = shared ?? 'check the gateway and transcriber logs';
  throw new PreflightError(
    `preflight: a probe request with ${probe.file} to ${target} failed with ${probe.status}: ${probe.error}; ${hint}`,
  );
}
