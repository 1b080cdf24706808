import type { ChannelOptions } from '@grpc/grpc-js';
import type { CallLimits } from './call-adapters.js';
import { option, parsers } from './options.js';

/** Limits both servers take, with the same flags and environment names. */
export const serverLimitOptions = {
  maxConcurrentRequests: option({
    flag: 'max-concurrent-requests',
    env: 'MAX_CONCURRENT_REQUESTS',
    defaultValue: 128,
    help: 'streaming requests running at once; more are refused with RESOURCE_EXHAUSTED and a retry-after-ms trailer',
    parse: parsers.int(1, 100_000),
  }),
  maxStreamsPerConnection: option({
    flag: 'max-streams-per-connection',
    env: 'MAX_STREAMS_PER_CONNECTION',
    defaultValue: 100,
    help: 'HTTP/2 streams one connection may open at once (grpc.max_concurrent_streams)',
    parse: parsers.int(1, 10_000),
  }),
  idleTimeoutMs: option({
    flag: 'idle-timeout-ms',
    env: 'IDLE_TIMEOUT_MS',
    defaultValue: 30_000,
    help: 'a stream that sends nothing this long while the server waits for it fails with DEADLINE_EXCEEDED (0 = off)',
    parse: parsers.int(0, 3_600_000),
  }),
  minUploadBytesPerSec: option({
    flag: 'min-upload-bytes-per-sec',
    env: 'MIN_UPLOAD_BYTES_PER_SEC',
    // A stream that sends a byte every 20 s beats any idle timeout and holds a slot for good; real
    // audio is 750 bytes/s at the least (6 kbps Opus), 8,000 for a phone line's mu-law.
    defaultValue: 256,
    help: 'least audio a streaming client must send, in bytes per second averaged over windows of twice --idle-timeout-ms (60 s when that is off) that the server spends ready for more; slower ends with DEADLINE_EXCEEDED (0 = off)',
    parse: parsers.int(0, 100_000_000),
  }),
  writeStallMs: option({
    flag: 'write-stall-ms',
    env: 'WRITE_STALL_MS',
    defaultValue: 30_000,
    help: 'a client that reads no response this long, with the write buffer full, fails with DEADLINE_EXCEEDED (0 = off)',
    parse: parsers.int(0, 3_600_000),
  }),
  maxRequestMs: option({
    flag: 'max-request-ms',
    env: 'MAX_REQUEST_MS',
    defaultValue: 3_600_000,
    help: 'longest any request may run, whatever its deadline (0 = off)',
    parse: parsers.int(0, 86_400_000),
  }),
  retryAfterMs: option({
    flag: 'retry-after-ms',
    env: 'RETRY_AFTER_MS',
    defaultValue: 1000,
    help: 'retry hint sent with RESOURCE_EXHAUSTED (trailer retry-after-ms)',
    parse: parsers.int(0, 600_000),
  }),
};

export interface ServerLimits extends CallLimits {
  maxStreamsPerConnection: number;
}

// A client that stops answering pings (frozen, or gone without a FIN) loses its connection and its
// streams within 30 s + 10 s instead of holding them until TCP gives up (minutes).
const KEEPALIVE_TIME_MS = 30_000;
const KEEPALIVE_TIMEOUT_MS = 10_000;

/** grpc-js server options, each set on purpose. */
export function grpcServerOptions(limits: ServerLimits, maxMessageBytes: number): ChannelOptions {
  return {
    'grpc.max_receive_message_length': maxMessageBytes,
    'grpc.max_concurrent_streams': limits.maxStreamsPerConnection,
    'grpc.keepalive_time_ms': KEEPALIVE_TIME_MS,
    'grpc.keepalive_timeout_ms': KEEPALIVE_TIMEOUT_MS,
  };
}
