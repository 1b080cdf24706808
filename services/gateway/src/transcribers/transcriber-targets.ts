import { isIPv4, isIPv6 } from 'node:net';

/**
 * How the --transcriber list becomes gRPC channel targets. grpc-js balances one channel over many
 * addresses itself (round_robin over a resolver's address list), so the list is folded into as few
 * targets as its resolvers allow:
 * - IP literals, all IPv4 or all IPv6: one `ipv4:a:p,b:p` / `ipv6:[a]:p,[b]:p` target;
 * - one name (`host:port` or `dns:///name:port`): one target, whose DNS answer may hold many addresses
 *   (a Kubernetes headless Service);
 * - several names: one target each (grpc-js has no resolver for a list of names), rotated by the gateway;
 * - over TLS, every address its own target.
 */
export function channelTargets(addresses: readonly string[], options: { tls?: boolean } = {}): string[] {
  if (addresses.length === 0) throw new Error('at least one transcriber address is required');
  // Over TLS a channel checks every peer's certificate against one name, its target's first address:
  // IP literals each keep their own channel so each is checked against its own address.
  if (options.tls === true) return [...addresses];
  const hosts = addresses.map(splitHostPort);
  if (addresses.length > 1 && hosts.every((h) => h !== undefined && isIPv4(h.host)))
    return [`ipv4:${addresses.join(',')}`];
  if (addresses.length > 1 && hosts.every((h) => h !== undefined && isIPv6(h.host)))
    return [`ipv6:${addresses.join(',')}`];
  return [...addresses];
}

/** host and port of `host:port` / `[v6]:port`; undefined for a target with a scheme. */
export function splitHostPort(address: string): { host: string; port: string } | undefined {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(address) ?? /^([^:/[\]]+):(\d+)$/.exec(address);
  return m === null ? undefined : { host: m[1] as string, port: m[2] as string };
}

/** `dns:///name:port`, `dns://server/name:port` or plain `name:port` → `name:port` to look up. */
export function dnsName(target: string): string | undefined {
  const m = /^dns:(?:\/\/[^/]*\/)?(.+)$/.exec(target);
  const rest = m === null ? target : (m[1] as string);
  return splitHostPort(rest) === undefined ? undefined : rest;
}
