import type { ChannelCredentials } from '@grpc/grpc-js';
import { request as httpRequest, type Agent } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { checkHealth } from '#common/health-check.js';
import {
  API_KEY_HINT,
  GRPC_PORT_HINT,
  hintForStatus,
  HTTP_PORT_HINT,
  HTTP_UNREACHABLE_HINT,
  NOT_READY_HINT,
  UNREACHABLE_HINT,
} from '#client/target-hints.js';
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
    const why = e.details ?? e.message ?? String(err);
    // grpc-js reads an HTTP/1.1 server's answer as a protocol error or a bare HTTP status.
    const http = /protocol error|received http status code|http\/1|bad request|parse error/i.test(why);
    throw new PreflightError(
      `preflight: the target ${target} did not answer a health check in ${timeoutMs} ms (${why}): ${http ? HTTP_PORT_HINT : UNREACHABLE_HINT}`,
    );
  }
  if (state !== 'SERVING') throw new PreflightError(`preflight: the target ${target} says ${state}: ${NOT_READY_HINT}`);
}

/**
 * An HTTP target's preflight: one GET of `path` (its health route, or one every server of the kind
 * has). Any answer but 503 or 401/403 means it is up: a WhisperX server without /health answers 404.
 */
export function checkHttpTarget(
  target: string,
  path: string,
  apiKey: string,
  agent: Agent,
  timeoutMs: number,
): Promise<void> {
  const url = new URL(`${target}${path}`);
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(url, {
      method: 'GET',
      agent,
      timeout: timeoutMs,
      headers: apiKey === '' ? {} : { Authorization: `Bearer ${apiKey}` },
    });
    req.on('timeout', () => req.destroy(new Error(`no answer in ${timeoutMs} ms`)));
    req.on('error', (err: NodeJS.ErrnoException) =>
      reject(
        new PreflightError(
          `preflight: the target ${target} did not answer GET ${path} (${err.message}): ${(err.code ?? '').startsWith('HPE_') ? GRPC_PORT_HINT : HTTP_UNREACHABLE_HINT}`,
        ),
      ),
    );
    req.on('response', (res) => {
      res.resume();
      const status = res.statusCode ?? 0;
      if (status === 503) reject(new PreflightError(`preflight: ${target}${path} answers 503: ${NOT_READY_HINT}`));
      else if (status === 401 || status === 403)
        reject(new PreflightError(`preflight: ${target}${path} answers ${status}: ${API_KEY_HINT}`));
      else resolve();
    });
    req.end();
  });
}

/** Judges the probe request: the one recording sent before any level. */
export function checkProbe(target: string, probe: RequestResult): void {
  if (probe.status === 'OK') return;
  // The probe ran after a passing health check, so UNAVAILABLE here is a server fault, not a wrong address.
  const shared =
    probe.status === 'UNAVAILABLE'
      ? undefined
      : hintForStatus(probe.status, `it cannot decode ${probe.file}: check the audio in --source (or narrow --ext)`);
  // A 404 from an HTTP target: the server is up but has no such endpoint.
  const hint =
    probe.status === 'NOT_FOUND'
      ? 'the server has no such endpoint: is --protocol the API it speaks (whisperx-http: /asr/upload_file, openai: /v1/audio/transcriptions)?'
      : (shared ?? 'check the gateway and transcriber logs');
  throw new PreflightError(
    `preflight: a probe request with ${probe.file} to ${target} failed with ${probe.status}: ${probe.error}; ${hint}`,
  );
}
