import { serverLimitOptions } from '#common/server-limits.js';
import { formatHelp, option, optionDefaults, parsers, type ParsedArgs } from '#common/options.js';
import { serverSecurityOptions } from '#common/server-options.js';

export const gatewayOptions = {
  listen: option({
    flag: 'listen',
    env: 'GATEWAY_LISTEN',
    defaultValue: '127.0.0.1:50051',
    help: 'gRPC listen address (port 0 = ephemeral; 0.0.0.0:50051 to accept other hosts)',
    parse: parsers.hostPort,
  }),
  httpListen: option({
    flag: 'http-listen',
    env: 'GATEWAY_HTTP_LISTEN',
    defaultValue: '',
    help: 'HTTP address (POST /asr/upload_file, POST /v1/audio/transcriptions); empty = the --listen host on port 8002 (an ephemeral port when --listen has port 0); off = not served',
    parse: (raw: string, name: string) => (raw === '' || raw === 'off' ? raw : parsers.hostPort(raw, name)),
  }),
  httpMaxUploadBytes: option({
    flag: 'http-max-upload-bytes',
    env: 'GATEWAY_HTTP_MAX_UPLOAD_BYTES',
    defaultValue: 1024 ** 3,
    help: 'largest HTTP upload (its Content-Length, or the file part as it streams in); larger is refused with 413',
    parse: parsers.int(1024, 64 * 1024 ** 3),
  }),
  httpTimeoutMs: option({
    flag: 'http-timeout-ms',
    env: 'GATEWAY_HTTP_TIMEOUT_MS',
    defaultValue: 30 * 60_000,
    help: 'longest an HTTP transcription may take, upload included (504 after; also the downstream deadline)',
    parse: parsers.int(100, 24 * 3_600_000),
  }),
  transcribers: option({
    flag: 'transcriber',
    env: 'TRANSCRIBER_ADDRS',
    defaultValue: ['127.0.0.1:50052'],
    help: 'transcriber host:port list or one dns:///name:port (every address it resolves to), balanced round-robin',
    parse: parsers.list,
  }),
  reconnectMaxBackoffMs: option({
    flag: 'reconnect-max-backoff-ms',
    env: 'RECONNECT_MAX_BACKOFF_MS',
    defaultValue: 1000,
    help: 'longest wait between reconnect attempts to a transcriber that went away',
    parse: parsers.int(100, 120_000),
  }),
  statsTimeoutMs: option({
    flag: 'stats-timeout-ms',
    env: 'STATS_TIMEOUT_MS',
    defaultValue: 2000,
    help: 'deadline for each transcriber GetStats call',
    parse: parsers.int(10, 60_000),
  }),
  transcriberConnections: option({
    flag: 'transcriber-connections',
    env: 'TRANSCRIBER_CONNECTIONS',
    defaultValue: 0,
    help: 'HTTP/2 connections to each transcriber address (0 = enough for --max-concurrent-requests diarized requests, two streams each, at --transcriber-streams-per-connection)',
    parse: parsers.int(0, 1000),
  }),
  transcriberStreamsPerConnection: option({
    flag: 'transcriber-streams-per-connection',
    env: 'TRANSCRIBER_STREAMS_PER_CONNECTION',
    defaultValue: 100,
    help: 'the transcribers\' --max-streams-per-connection: streams past it on one connection would wait in the gateway (metric callscribe_gateway_transcriber_streams{state="waiting"})',
    parse: parsers.int(1, 10_000),
  }),
  maxMessageBytes: option({
    flag: 'max-message-bytes',
    env: 'MAX_MESSAGE_BYTES',
    defaultValue: 16 * 1024 * 1024,
    help: 'largest gRPC message accepted (one audio chunk)',
    parse: parsers.int(1024, 1024 ** 3),
  }),
  ...serverSecurityOptions,
  transcriberApiKey: option({
    flag: 'transcriber-api-key',
    env: 'TRANSCRIBER_API_KEY',
    defaultValue: '',
    help: 'key sent to transcribers started with --api-keys-file (prefer the environment: flags show in ps)',
    parse: parsers.string,
  }),
  transcriberTlsCa: option({
    flag: 'transcriber-tls-ca',
    env: 'TRANSCRIBER_TLS_CA_FILE',
    defaultValue: '',
    help: "PEM CA that signed the transcribers' certificates: speak TLS to them (empty = plaintext)",
    parse: parsers.string,
  }),
  transcriberTlsCert: option({
    flag: 'transcriber-tls-cert',
    env: 'TRANSCRIBER_TLS_CERT_FILE',
    defaultValue: '',
    help: 'PEM client certificate for transcribers that require one (--tls-client-ca there)',
    parse: parsers.string,
  }),
  transcriberTlsKey: option({
    flag: 'transcriber-tls-key',
    env: 'TRANSCRIBER_TLS_KEY_FILE',
    defaultValue: '',
    help: 'PEM private key of --transcriber-tls-cert',
    parse: parsers.string,
  }),
  ...serverLimitOptions,
  // The gateway fronts several transcribers, each with its own limit.
  maxConcurrentRequests: { ...serverLimitOptions.maxConcurrentRequests, defaultValue: 256 },
  maxRequestsPerClient: option({
    flag: 'max-requests-per-client',
    env: 'MAX_REQUESTS_PER_CLIENT',
    // On by default: 256 streams from one client sending a byte every 20 s held every slot once. A
    // client is its API key when it sends one, else its address; behind a load balancer without keys
    // every caller shares the balancer's address, so give each tenant a key or set 0 there.
    defaultValue: 64,
    help: 'streaming requests one client may run at once, gRPC and HTTP together; a client is its API key, else its address (0 = no limit: behind a load balancer without keys)',
    parse: parsers.int(0, 100_000),
  }),
  shutdownGraceMs: option({
    flag: 'shutdown-grace-ms',
    env: 'SHUTDOWN_GRACE_MS',
    defaultValue: 10_000,
    help: 'time in-flight calls get to finish on SIGTERM',
    parse: parsers.int(0, 600_000),
  }),
};

export type GatewayConfig = ParsedArgs<typeof gatewayOptions>['values'];

export const gatewayHelp = () =>
  formatHelp(
    'callscribe-gateway: public gRPC API (callscribe.v1.Gateway), proxying streams to transcribers',
    gatewayOptions,
  );

export function defaultGatewayConfig(overrides: Partial<GatewayConfig> = {}): GatewayConfig {
  return { ...optionDefaults(gatewayOptions), ...overrides };
}

/** The HTTP address to bind, or undefined when HTTP is off: see the --http-listen help. */
export function httpListenAddress(config: Pick<GatewayConfig, 'listen' | 'httpListen'>): string | undefined {
  if (config.httpListen === 'off') return undefined;
  if (config.httpListen !== '') return config.httpListen;
  const colon = config.listen.lastIndexOf(':');
  const port = config.listen.slice(colon + 1) === '0' ? '0' : '8002';
  return `${config.listen.slice(0, colon)}:${port}`;
}
