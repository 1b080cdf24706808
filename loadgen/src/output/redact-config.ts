import { redactText, redactUrl } from '#common/redact.js';

const URL_FIELDS = new Set(['s3Endpoint', 'pushgateway', 'source']);
const SECRET_FIELDS = new Set(['apiKey']);

/**
 * The run configuration as written to config.json, summary.json and report.html: files that get
 * shared. The API key is only said to be set, URLs lose their user:password, and any registered
 * secret (AWS keys, HF_TOKEN) is cut from every other string.
 */
export function redactRunConfig(config: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(config).map(([key, value]) => {
      if (SECRET_FIELDS.has(key)) return [key, value === '' ? '' : '(set)'];
      if (typeof value !== 'string') return [key, value];
      return [key, URL_FIELDS.has(key) ? redactUrl(value) : redactText(value)];
    }),
  );
}
