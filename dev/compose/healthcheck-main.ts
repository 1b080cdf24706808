#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { credentials } from '@grpc/grpc-js';
import { checkHealth } from '../../services/common/src/health-check.js';

/**
 * The compose files' container healthcheck: `healthcheck-main PORT` asks grpc.health.v1 on
 * 127.0.0.1:PORT and exits 0 only on SERVING. It speaks TLS when the service it probes does
 * (TLS_CERT_FILE in the container's environment, as the service reads it), without checking the
 * certificate: it probes its own loopback port for readiness, and a certificate issued for the
 * public name would never match 127.0.0.1. Under mutual TLS it presents HEALTHCHECK_TLS_CERT_FILE
 * and HEALTHCHECK_TLS_KEY_FILE.
 */
const port = process.argv[2];
if (port === undefined || !/^\d+$/.test(port)) {
  process.stderr.write('usage: healthcheck-main PORT\n');
  process.exit(2);
}

const env = (name: string): string => process.env[name] ?? '';
const certFile = env('HEALTHCHECK_TLS_CERT_FILE');
const keyFile = env('HEALTHCHECK_TLS_KEY_FILE');
const creds =
  env('TLS_CERT_FILE') === ''
    ? credentials.createInsecure()
    : credentials.createSsl(
        null,
        keyFile === '' ? null : readFileSync(keyFile),
        certFile === '' ? null : readFileSync(certFile),
        { rejectUnauthorized: false },
      );

try {
  const status = await checkHealth(`127.0.0.1:${port}`, '', 4000, creds);
  if (status !== 'SERVING') process.stderr.write(`health: ${status}\n`);
  process.exitCode = status === 'SERVING' ? 0 : 1;
} catch (err: unknown) {
  process.stderr.write(`health: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
}
