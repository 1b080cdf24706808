import { readFileSync } from 'node:fs';
import type { ServerOptions } from 'node:https';

/**
 * The gateway's own --tls-cert / --tls-key / --tls-client-ca, so HTTP is as protected as gRPC on the
 * same host (HTTPS, and a client certificate when mTLS is on). The gRPC start-up has already read and
 * checked these files; undefined means plaintext.
 */
export function httpsOptions(files: {
  tlsCert: string;
  tlsKey: string;
  tlsClientCa: string;
}): ServerOptions | undefined {
  if (files.tlsCert === '') return undefined;
  const ca = files.tlsClientCa === '' ? undefined : readFileSync(files.tlsClientCa);
  return {
    cert: readFileSync(files.tlsCert),
    key: readFileSync(files.tlsKey),
    ...(ca === undefined ? {} : { ca, requestCert: true, rejectUnauthorized: true }),
  };
}
