import { readFileSync } from 'node:fs';

/** The package version, for --version; read from package.json beside dist/ at run time. */
export function packageVersion(): string {
  try {
    const text = readFileSync(new URL('../../../../package.json', import.meta.url), 'utf8');
    return String((JSON.parse(text) as { version?: unknown }).version ?? 'unknown');
  } catch {
    return 'unknown';
  }
}
