import type { ChannelCredentials, ChannelOptions } from '@grpc/grpc-js';
import { option, parsers } from './options.js';
import { outgoingMetadata } from './outgoing-metadata.js';
import { registerSecret } from './redact.js';
import { channelCredentials } from './tls.js';

/** Where a client sends its requests: the same flag and variable for the CLI and the loadgen. */
export const gatewayTargetOption = {
  target: option({
    flag: 'target',
    env: 'CALLSCRIBE_TARGET',
    defaultValue: '127.0.0.1:50051',
    help: 'gateway host:port',
    parse: parsers.hostPort,
  }),
};

/** Flags of the client binaries (callscribe, callscribe-loadgen) for a gateway with keys or TLS. */
export const clientSecurityOptions = {
  apiKey: option({
    flag: 'api-key',
    env: 'CALLSCRIBE_API_KEY',
    defaultValue: '',
    help: 'API key sent as "authorization: Bearer <key>" (prefer the environment: flags show in ps)',
    parse: parsers.string,
  }),
  tlsCa: option({
    flag: 'tls-ca',
    env: 'CALLSCRIBE_TLS_CA',
    defaultValue: '',
    help: 'speak TLS: PEM CA that signed the gateway certificate, or "system" for the system roots (empty = plaintext)',
    parse: parsers.string,
  }),
  tlsCert: option({
    flag: 'tls-cert',
    env: 'CALLSCRIBE_TLS_CERT',
    defaultValue: '',
    help: 'PEM client certificate, for a gateway that requires one (mTLS)',
    parse: parsers.string,
  }),
  tlsKey: option({
    flag: 'tls-key',
    env: 'CALLSCRIBE_TLS_KEY',
    defaultValue: '',
    help: 'PEM private key of --tls-cert',
    parse: parsers.string,
  }),
  tlsServerName: option({
    flag: 'tls-server-name',
    defaultValue: '',
    help: "name to check the gateway's certificate against when it differs from the --target host",
    parse: parsers.string,
  }),
};

export interface ClientSecurity {
  apiKey: string;
  tlsCa: string;
  tlsCert: string;
  tlsKey: string;
  tlsServerName: string;
}

export interface ClientConnection {
  credentials: ChannelCredentials;
  /** Channel options with the interceptor that sends the key on every call. */
  options: ChannelOptions & { interceptors: ReturnType<typeof outgoingMetadata>[] };
}

export function clientConnection(s: ClientSecurity, extra: ChannelOptions = {}): ClientConnection {
  registerSecret(s.apiKey);
  return {
    credentials: channelCredentials({ caFile: s.tlsCa, certFile: s.tlsCert, keyFile: s.tlsKey }),
    options: {
      ...extra,
      ...(s.tlsServerName !== '' ? { 'grpc.ssl_target_name_override': s.tlsServerName } : {}),
      interceptors: [outgoingMetadata(s.apiKey)],
    },
  };
}
