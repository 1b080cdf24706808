/**
 * What to do when a gRPC target fails: one wording for the CLI and the loadgen, so a person who
 * points either at the wrong address reads the same advice.
 */

/** The target did not answer at all (refused, timed out, no such host). */
export const UNREACHABLE_HINT = 'is the gateway running? check --target (and --tls-ca if it serves TLS)';

/** The health check answered but not SERVING. */
export const NOT_READY_HINT = 'it is up but not ready (no transcriber behind the gateway?)';

/** A gRPC server that lacks the Gateway service: most often the transcriber's port. */
export const NOT_GATEWAY_HINT =
  'it answers gRPC but not the callscribe Gateway API: is --target the gateway (not the transcriber)?';

export const API_KEY_HINT = 'the gateway requires an API key: set --api-key or CALLSCRIBE_API_KEY';

/**
 * The advice for a failed call by its gRPC status name, or undefined where the server's own message
 * says it all. `audioHint` is the advice for INVALID_ARGUMENT (bad audio), which only the caller can word.
 */
export function hintForStatus(status: string, audioHint?: string): string | undefined {
  switch (status) {
    case 'UNAVAILABLE':
      return UNREACHABLE_HINT;
    case 'UNIMPLEMENTED':
      return NOT_GATEWAY_HINT;
    case 'UNAUTHENTICATED':
      return API_KEY_HINT;
    case 'INVALID_ARGUMENT':
      return audioHint;
    default:
      return undefined;
  }
}

/** An HTTP client (the loadgen's HTTP protocols) that reached a gRPC port, which speaks HTTP/2 only. */
export const GRPC_PORT_HINT =
  "it answers, but not HTTP/1.1: is --target the gRPC port? use the HTTP port (the gateway's --http-listen, 8002 by default), or --protocol grpc with host:port";

/** A gRPC client that reached an HTTP/1.1 server: most often the gateway's HTTP port. */
export const HTTP_PORT_HINT =
  "it answers, but not gRPC: is --target an HTTP port? use the gRPC port (the gateway's --listen), or --protocol whisperx-http|openai with --target http://host:port";

/** The HTTP target did not answer at all. */
export const HTTP_UNREACHABLE_HINT = 'is the server running? check --target (https:// and --tls-ca if it serves TLS)';
