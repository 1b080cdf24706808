/**
 * Secrets kept out of every log line, error message and result file. Values are registered where
 * they are read (API keys, HF_TOKEN, AWS keys from the environment); patterns catch the shapes a
 * secret takes when nobody registered it (a bearer header, credentials inside a URL).
 */
const secrets = new Set<string>();

// Shorter values would blank out ordinary words; real keys and tokens are far longer.
const MIN_SECRET_CHARS = 6;

/** Environment variables whose values must never be shown. */
export const SECRET_ENV = [
  'HF_TOKEN',
  'HUGGING_FACE_HUB_TOKEN',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_ACCESS_KEY_ID',
  'CALLSCRIBE_API_KEY',
  'TRANSCRIBER_API_KEY',
] as const;

export function registerSecret(value: string | undefined): void {
  if (value !== undefined && value.length >= MIN_SECRET_CHARS) secrets.add(value);
}

export function registerSecretsFromEnv(env: NodeJS.ProcessEnv = process.env): void {
  for (const name of SECRET_ENV) registerSecret(env[name]);
}

const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/)[^/\s@:]+(?::[^/\s@]*)?@/gi;
// A placeholder such as "Bearer <key>" in a help message is not a secret.
const BEARER = /\b(bearer\s+)(?!<)[^\s"',;]+/gi;

/** The text with every registered secret, bearer token and URL credential replaced by `***`. */
export function redactText(text: string): string {
  let out = text.replace(URL_CREDENTIALS, '$1***@').replace(BEARER, '$1***');
  for (const s of secrets) if (out.includes(s)) out = out.split(s).join('***');
  return out;
}

/** A URL with its user and password replaced, for results files and reports. */
export function redactUrl(raw: string): string {
  try {
    const url = new URL(raw);
    if (url.username === '' && url.password === '') return raw;
    url.username = '***';
    url.password = '';
    return url.toString();
  } catch {
    return redactText(raw);
  }
}
