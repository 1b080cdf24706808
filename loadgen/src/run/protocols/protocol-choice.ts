import { OptionError, parsers } from '#common/options.js';

/** The APIs the loadgen can drive; grpc is callscribe's own. */
export const PROTOCOLS = ['grpc', 'whisperx-http', 'openai'] as const;
export type ProtocolName = (typeof PROTOCOLS)[number];

export const isHttpTarget = (target: string): boolean => /^https?:\/\//i.test(target);

/**
 * `--target`: host:port for gRPC, or an http(s) URL for the HTTP protocols (a path in it is a prefix
 * put before the endpoint's own path, for servers mounted under one). Which form fits which protocol
 * is checked with the other flags (validateRunConfig).
 */
export function parseLoadgenTarget(raw: string, name: string): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) return parsers.hostPort(raw, name);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new OptionError(`${name} must be host:port or http(s)://host:port, got "${raw}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new OptionError(`${name} takes http:// or https:// URLs (or gRPC host:port), got "${raw}"`);
  if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '')
    throw new OptionError(
      `${name} must be a base URL without query, fragment or credentials (the key goes in --api-key), got "${raw}"`,
    );
  return raw.replace(/\/+$/, '');
}

/** The URL of an endpoint under the target's base (which may carry a path prefix). */
export const endpointUrl = (target: string, path: string): URL => new URL(`${target.replace(/\/+$/, '')}${path}`);
