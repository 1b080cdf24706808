import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { status, type Metadata } from '@grpc/grpc-js';
import { OptionError } from './options.js';
import { registerSecret } from './redact.js';
import { ServiceError } from './service-error.js';

const digest = (key: string): Buffer => createHash('sha256').update(key).digest();

// What a bearer token may hold (RFC 6750's b64token): a line with spaces or colons is some other
// file given by mistake (/etc/shadow was taken once, every line a key).
const KEY_SHAPE = /^[A-Za-z0-9\-._~+/]+=*$/;

/**
 * Keys from a file, one per line; blank lines and lines starting with # are skipped. The file must
 * be a regular file that only its owner can read: keys are as good as passwords.
 */
export function readApiKeys(path: string): string[] {
  let text: string;
  try {
    const stat = statSync(path);
    if (!stat.isFile()) throw new Error('not a regular file');
    if ((stat.mode & 0o077) !== 0)
      throw new Error(
        `other users can read or write it (mode ${(stat.mode & 0o777).toString(8)}); make it the server user's alone: chmod 600 ${path}`,
      );
    text = readFileSync(path, 'utf8');
  } catch (err: unknown) {
    throw new OptionError(`--api-keys-file ${path}: ${(err as Error).message}`);
  }
  const keys = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  if (keys.length === 0) throw new OptionError(`--api-keys-file ${path} holds no key (one key per line)`);
  const badLine = keys.findIndex((k) => !KEY_SHAPE.test(k));
  if (badLine >= 0)
    throw new OptionError(
      `--api-keys-file ${path}: key ${badLine + 1} is not a bearer token (letters, digits and - . _ ~ + / only, = at the end); is this the right file?`,
    );
  if (keys.some((k) => k.length < 16))
    throw new OptionError(`--api-keys-file ${path}: every key must be at least 16 characters`);
  for (const k of keys) registerSecret(k);
  return keys;
}

/**
 * Who a caller is, for limits per client: the API key it proved (as a short digest, safe to log),
 * or else its address. Behind a load balancer every caller has the balancer's address, so there a
 * per-client limit needs keys (one per tenant) or must be turned off.
 */
export function clientIdentity(
  check: ApiKeyCheck | undefined,
  authorization: string | undefined,
  address: string,
): string {
  const token = bearerToken(authorization);
  if (check === undefined || !check.required || token === undefined || !check.matches(token)) return address;
  return `key:${digest(token).toString('hex').slice(0, 12)}`;
}

/** The bearer token of `authorization` metadata (the same header HTTP uses), if any. */
export function bearerToken(header: string | undefined): string | undefined {
  const m = /^\s*bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return m?.[1];
}

export interface ApiKeyCheck {
  /** Whether the server requires a key at all. */
  readonly required: boolean;
  /** True for a listed key; compared in constant time against every listed key. */
  matches(token: string | undefined): boolean;
}

export function createApiKeyCheck(keys: readonly string[]): ApiKeyCheck {
  const digests = keys.map(digest);
  return {
    required: digests.length > 0,
    matches(token) {
      if (token === undefined || digests.length === 0) return false;
      // Hashes have one length, so timingSafeEqual applies, and every key is compared every time.
      const presented = digest(token);
      let found = false;
      for (const d of digests) found = timingSafeEqual(d, presented) || found;
      return found;
    },
  };
}

/**
 * The refusal for an `authorization` header (gRPC metadata or HTTP header, same form), or undefined
 * when the key is valid. Both the gRPC adapters and the HTTP server ask here.
 */
export function authorizationError(check: ApiKeyCheck, header: string | undefined): ServiceError | undefined {
  const token = bearerToken(header);
  if (token === undefined)
    return new ServiceError(
      status.UNAUTHENTICATED,
      'this server requires an API key: send the metadata "authorization: Bearer <key>" (callscribe and callscribe-loadgen: --api-key or CALLSCRIBE_API_KEY)',
    );
  if (!check.matches(token))
    return new ServiceError(
      status.UNAUTHENTICATED,
      "the API key was not accepted: check --api-key / CALLSCRIBE_API_KEY against the server's --api-keys-file",
    );
  return undefined;
}

/** The one check every gRPC handler passes (see middleware/auth.ts); health stays open. */
export function authenticate(check: ApiKeyCheck, metadata: Metadata): boolean {
  if (!check.required) return false;
  const header = metadata.get('authorization')[0];
  const refused = authorizationError(check, typeof header === 'string' ? header : undefined);
  if (refused !== undefined) throw refused;
  return true;
}
