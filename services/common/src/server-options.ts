import { createApiKeyCheck, readApiKeys, type ApiKeyCheck } from './auth.js';
import { option, parsers } from './options.js';
import { serverCredentials } from './tls.js';
import type { ServerCredentials } from '@grpc/grpc-js';

const hostPortOrOff = (raw: string, name: string): string => (raw === '' ? '' : parsers.hostPort(raw, name));

/** Flags every service takes for who may call it, over what, and where its metrics are. */
export const serverSecurityOptions = {
  apiKeysFile: option({
    flag: 'api-keys-file',
    env: 'API_KEYS_FILE',
    defaultValue: '',
    help: 'file of API keys, one per line: every call but health and reflection then needs "authorization: Bearer <key>" (empty = no keys)',
    parse: parsers.string,
  }),
  tlsCert: option({
    flag: 'tls-cert',
    env: 'TLS_CERT_FILE',
    defaultValue: '',
    help: 'PEM certificate (chain) to serve TLS with; with --tls-key (empty = plaintext)',
    parse: parsers.string,
  }),
  tlsKey: option({
    flag: 'tls-key',
    env: 'TLS_KEY_FILE',
    defaultValue: '',
    help: 'PEM private key of --tls-cert',
    parse: parsers.string,
  }),
  tlsClientCa: option({
    flag: 'tls-client-ca',
    env: 'TLS_CLIENT_CA_FILE',
    defaultValue: '',
    help: 'PEM CA: clients must present a certificate it signed (mutual TLS)',
    parse: parsers.string,
  }),
  metricsListen: option({
    flag: 'metrics-listen',
    env: 'METRICS_LISTEN',
    defaultValue: '',
    help: 'Prometheus GET /metrics on this host:port (port 0 = ephemeral; empty = off). Its address is the first control: keep it on an internal interface',
    parse: hostPortOrOff,
  }),
  metricsAuth: option({
    flag: 'metrics-auth',
    env: 'METRICS_AUTH',
    defaultValue: 'none' as 'none' | 'api-key',
    help: 'api-key: /metrics needs "authorization: Bearer <key>" from --api-keys-file, as gRPC calls do (Prometheus: authorization.credentials_file); none: open to whoever reaches its address',
    parse: parsers.choice(['none', 'api-key'] as const),
  }),
  metricsTls: option({
    flag: 'metrics-tls',
    env: 'METRICS_TLS',
    defaultValue: false,
    help: "serve /metrics over HTTPS with --tls-cert/--tls-key (the gRPC port's certificate)",
    parse: parsers.boolean,
  }),
};

export interface ServerSecurity {
  credentials: ServerCredentials;
  apiKeys: ApiKeyCheck;
}

/** Reads the key and certificate files once at start-up; a bad file stops start-up with its name. */
export function loadServerSecurity(o: {
  apiKeysFile: string;
  tlsCert: string;
  tlsKey: string;
  tlsClientCa: string;
}): ServerSecurity {
  return {
    credentials: serverCredentials({ certFile: o.tlsCert, keyFile: o.tlsKey, clientCaFile: o.tlsClientCa }),
    apiKeys: createApiKeyCheck(o.apiKeysFile === '' ? [] : readApiKeys(o.apiKeysFile)),
  };
}
