import { readFileSync } from 'node:fs';
import { credentials, ServerCredentials, type ChannelCredentials } from '@grpc/grpc-js';
import { OptionError } from './options.js';

function readPem(path: string, flag: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err: unknown) {
    throw new OptionError(`${flag} ${path}: ${(err as Error).message}`);
  }
}

export interface ServerTlsFiles {
  certFile: string;
  keyFile: string;
  /** With it, clients must present a certificate signed by this CA (mutual TLS). */
  clientCaFile: string;
}

/** Plaintext when no certificate is given; TLS (or mTLS with a client CA) otherwise. */
export function serverCredentials(f: ServerTlsFiles): ServerCredentials {
  if (f.certFile === '' && f.keyFile === '') {
    if (f.clientCaFile !== '') throw new OptionError('--tls-client-ca needs --tls-cert and --tls-key');
    return ServerCredentials.createInsecure();
  }
  if (f.certFile === '' || f.keyFile === '') throw new OptionError('--tls-cert and --tls-key go together');
  const ca = f.clientCaFile === '' ? null : readPem(f.clientCaFile, '--tls-client-ca');
  return ServerCredentials.createSsl(
    ca,
    [{ cert_chain: readPem(f.certFile, '--tls-cert'), private_key: readPem(f.keyFile, '--tls-key') }],
    ca !== null,
  );
}

export interface ClientTlsFiles {
  /** CA that signed the server's certificate; 'system' uses the system roots. */
  caFile: string;
  /** A client certificate for servers that require one (mTLS). */
  certFile: string;
  keyFile: string;
}

/** Plaintext when nothing is set; TLS when a CA (or a client certificate) is given. */
export function channelCredentials(f: ClientTlsFiles, flagPrefix = '--tls'): ChannelCredentials {
  if (f.caFile === '' && f.certFile === '' && f.keyFile === '') return credentials.createInsecure();
  if ((f.certFile === '') !== (f.keyFile === ''))
    throw new OptionError(`${flagPrefix}-cert and ${flagPrefix}-key go together`);
  const ca = f.caFile === '' || f.caFile === 'system' ? null : readPem(f.caFile, `${flagPrefix}-ca`);
  return f.certFile === ''
    ? credentials.createSsl(ca)
    : credentials.createSsl(ca, readPem(f.keyFile, `${flagPrefix}-key`), readPem(f.certFile, `${flagPrefix}-cert`));
}
