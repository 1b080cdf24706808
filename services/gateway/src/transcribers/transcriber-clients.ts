import { lookup } from 'node:dns/promises';
import { type ChannelCredentials, type ChannelOptions, connectivityState, credentials } from '@grpc/grpc-js';
import { outgoingMetadata } from '#common/outgoing-metadata.js';
import { TranscriberClient } from '#gen/callscribe/v1/transcriber.js';
import { RawTranscriberClient } from '../passthrough-methods.js';
import { channelTargets, dnsName, splitHostPort } from './transcriber-targets.js';

export interface TranscriberClientOptions {
  addresses: readonly string[];
  maxMessageBytes: number;
  /** Longest wait between reconnect attempts to a transcriber that went away. */
  reconnectMaxBackoffMs: number;
  /** Insecure unless given (TLS to transcribers). */
  channelCredentials?: ChannelCredentials;
  /** The gateway's own key for the transcribers; empty = none. */
  apiKey?: string;
}

/** One transcriber as GetServerStats reports it. */
export interface StatsTarget {
  address: string;
  client?: TranscriberClient;
  /** Why the address could not be found (a DNS name that does not resolve). */
  error?: string;
}

/**
 * The gateway's channels to its transcribers. Each channel balances round_robin over every address its
 * resolver returns (see transcriber-targets.ts), keeps a connection to each and picks only READY ones,
 * so a transcriber that went away gets no new stream and one that returns is reconnected within
 * reconnectMaxBackoffMs. Only a list of several DNS names still needs a hand-made rotation over
 * channels here. Stats need each transcriber by address, so they use one client per address.
 */
export class TranscriberClients {
  private readonly channels: RawTranscriberClient[];
  private readonly statsClients = new Map<string, TranscriberClient>();
  private readonly creds: ChannelCredentials;
  private readonly options: ChannelOptions;
  private readonly readyListeners = new Set<(ready: boolean) => void>();
  private lastReady = false;
  private cursor = 0;
  private closed = false;

  constructor(private readonly config: TranscriberClientOptions) {
    this.creds = config.channelCredentials ?? credentials.createInsecure();
    this.options = {
      'grpc.max_send_message_length': config.maxMessageBytes,
      'grpc.max_receive_message_length': config.maxMessageBytes,
      // The gateway's own key and the request id of the call being served go with every call.
      interceptors: [outgoingMetadata(config.apiKey ?? '')],
      'grpc.service_config': JSON.stringify({ loadBalancingConfig: [{ round_robin: {} }] }),
      // A DNS TXT record must not swap the balancing policy for one we did not test.
      'grpc.service_config_disable_resolution': 1,
      // grpc-js starts at 1 s and grows 1.6x to 120 s: a transcriber back after a short outage waited
      // seconds for its first request (measured, BENCHMARKS.md). A refused connect on a LAN costs
      // next to nothing. The first wait is a quarter of the cap, at most grpc-js's own 1 s, so a cap
      // of 120000 gives exactly grpc-js's defaults.
      'grpc.initial_reconnect_backoff_ms': Math.min(1000, Math.round(config.reconnectMaxBackoffMs / 4)),
      'grpc.max_reconnect_backoff_ms': config.reconnectMaxBackoffMs,
      // A host that vanishes without closing its sockets (a lost node, a partition) is found by a
      // ping that gets no answer within 10 s, idle or not, instead of by the streams' deadlines; our
      // transcribers run grpc-js, whose server has no minimum ping interval to trip.
      'grpc.keepalive_time_ms': 30_000,
      'grpc.keepalive_timeout_ms': 10_000,
      'grpc.keepalive_permit_without_calls': 1,
      // Pods of a headless Service come and go: look the name up again soon after a connection fails.
      'grpc.dns_min_time_between_resolutions_ms': 5000,
    };
    this.channels = channelTargets(config.addresses, { tls: this.creds._isSecure() }).map(
      (target) => new RawTranscriberClient(target, this.creds, this.options),
    );
    for (const client of this.channels) this.watch(client);
  }

  /** The channel for the next stream: the only one, or the next READY one of several names. */
  next(): RawTranscriberClient {
    const n = this.channels.length;
    let fallback: RawTranscriberClient | undefined;
    for (let i = 0; i < n; i++) {
      const client = this.channels[this.cursor++ % n] as RawTranscriberClient;
      const state = client.getChannel().getConnectivityState(true);
      if (state === connectivityState.READY) return client;
      if (fallback === undefined && state !== connectivityState.TRANSIENT_FAILURE) fallback = client;
    }
    // None ready: a call on a failing channel ends UNAVAILABLE at once, which is the truth.
    return fallback ?? (this.channels[this.cursor++ % n] as RawTranscriberClient);
  }

  /** True while at least one transcriber has a READY connection. */
  get ready(): boolean {
    return this.channels.some((c) => c.getChannel().getConnectivityState(false) === connectivityState.READY);
  }

  onReadyChange(listener: (ready: boolean) => void): void {
    this.readyListeners.add(listener);
  }

  /**
   * Resolves with `ready` once the first connection attempts have settled (one READY, or all
   * failing) or after timeoutMs, so a gateway does not start NOT_SERVING only because it is young.
   */
  settled(timeoutMs: number): Promise<boolean> {
    const failing = () =>
      this.channels.every((c) => c.getChannel().getConnectivityState(false) === connectivityState.TRANSIENT_FAILURE);
    return new Promise((resolve) => {
      const until = Date.now() + timeoutMs;
      const check = () => {
        if (this.ready || failing() || Date.now() >= until || this.closed) resolve(this.ready);
        else setTimeout(check, 20);
      };
      check();
    });
  }

  /** Every transcriber address now (DNS names looked up again), each with a client for GetStats. */
  async statsTargets(): Promise<StatsTarget[]> {
    const lists = await Promise.all(
      channelTargets(this.config.addresses, { tls: this.creds._isSecure() }).map(
        async (target): Promise<StatsTarget[]> => {
          if (target.startsWith('ipv4:') || target.startsWith('ipv6:'))
            return target.slice(5).split(',').map(this.statsTarget);
          const name = dnsName(target);
          const hp = name === undefined ? undefined : splitHostPort(name);
          if (hp === undefined) return [this.statsTarget(target)];
          try {
            const found = await lookup(hp.host, { all: true });
            return found.map((a) =>
              this.statsTarget(a.family === 6 ? `[${a.address}]:${hp.port}` : `${a.address}:${hp.port}`),
            );
          } catch (err: unknown) {
            return [
              {
                address: target,
                error: `cannot resolve ${hp.host}: ${err instanceof Error ? err.message : String(err)}`,
              },
            ];
          }
        },
      ),
    );
    return lists.flat();
  }

  close(): void {
    this.closed = true;
    for (const c of this.channels) c.close();
    for (const c of this.statsClients.values()) c.close();
  }

  private readonly statsTarget = (address: string): StatsTarget => {
    let client = this.statsClients.get(address);
    if (client === undefined) {
      client = new TranscriberClient(address, this.creds, this.options);
      this.statsClients.set(address, client);
    }
    return { address, client };
  };

  /** Connects now (channels are lazy) and keeps connecting, so readiness is known before the first call. */
  private watch(client: RawTranscriberClient): void {
    const channel = client.getChannel();
    const loop = () => {
      if (this.closed) return;
      const state = channel.getConnectivityState(true);
      this.emitReady();
      channel.watchConnectivityState(state, Number.POSITIVE_INFINITY, loop);
    };
    loop();
  }

  private emitReady(): void {
    const ready = this.ready;
    if (ready === this.lastReady) return;
    this.lastReady = ready;
    for (const l of this.readyListeners) l(ready);
  }
}
