import { lookup } from 'node:dns/promises';
import {
  type ChannelCredentials,
  type ChannelOptions,
  connectivityState,
  credentials,
  type Interceptor,
  InterceptingCall,
} from '@grpc/grpc-js';
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
  /** HTTP/2 connections to each transcriber address (one channel with its own subchannels each). */
  connections?: number;
  /** The transcribers' --max-streams-per-connection: streams past it wait in the gateway for a slot. */
  streamsPerConnection?: number;
}

/** Streams to the transcribers now: open ones, and those waiting for a free HTTP/2 stream slot. */
export interface StreamCounts {
  open: number;
  /** Streams beyond a connection's limit: grpc-js holds them until a slot frees; should stay 0. */
  waiting: number;
  /** Channels kept to all targets together (each with its own connections). */
  connections: number;
}

/** Streams a lane has open: counted by its interceptor from start to status. */
interface StreamCounter {
  inFlight: number;
}

/** One channel of a target: its own connections (a local subchannel pool) and its streams in flight. */
interface Lane {
  client: RawTranscriberClient;
  streams: StreamCounter;
  /** Connections the channel holds: one per address of an `ipv4:`/`ipv6:` list; a DNS name counts as one. */
  addresses: number;
}

/** How many connections cover `streams` concurrent streams at `perConnection` each. */
export function connectionsFor(streams: number, perConnection: number): number {
  return Math.max(1, Math.ceil(streams / Math.max(1, perConnection)));
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
  /** Per target (an address list or a DNS name), its lanes: `connections` channels each. */
  private readonly targets: Lane[][];
  private readonly channels: RawTranscriberClient[];
  private readonly statsClients = new Map<string, TranscriberClient>();
  private readonly creds: ChannelCredentials;
  private readonly options: ChannelOptions;
  private readonly readyListeners = new Set<(ready: boolean) => void>();
  private lastReady = false;
  private cursor = 0;
  private laneCursor = 0;
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
    // grpc-js puts every stream of a channel to one address on one HTTP/2 connection, and a
    // transcriber takes 100 streams on a connection by default: streams past that waited inside the
    // gateway, seen by no metric. So each target gets enough channels, each with its own connections
    // (a local subchannel pool; channels with equal options otherwise share one connection).
    const connections = Math.max(1, config.connections ?? 1);
    this.targets = channelTargets(config.addresses, { tls: this.creds._isSecure() }).map((target) =>
      Array.from({ length: connections }, (): Lane => {
        const streams = { inFlight: 0 };
        const client = new RawTranscriberClient(target, this.creds, {
          ...this.options,
          'grpc.use_local_subchannel_pool': 1,
          interceptors: [...(this.options.interceptors ?? []), countStreams(streams)],
        });
        const addresses = /^ipv[46]:/.test(target) ? target.split(',').length : 1;
        return { client, streams, addresses };
      }),
    );
    this.channels = this.targets.flat().map((lane) => lane.client);
    for (const client of this.channels) this.watch(client);
  }

  /**
   * The channel for the next stream: of the next target (the only one, or the next READY one of
   * several names), its READY lane with the fewest streams open.
   */
  next(): RawTranscriberClient {
    const n = this.targets.length;
    let fallback: RawTranscriberClient | undefined;
    for (let i = 0; i < n; i++) {
      const lanes = this.targets[this.cursor++ % n] as Lane[];
      let best: Lane | undefined;
      // Scanned from a rotating start: a lane is picked before its stream starts (the config is read
      // first), so a burst sees equal counts everywhere, and ties must not all go to the first lane.
      const start = this.laneCursor++;
      for (let k = 0; k < lanes.length; k++) {
        const lane = lanes[(start + k) % lanes.length] as Lane;
        const state = lane.client.getChannel().getConnectivityState(true);
        if (state === connectivityState.READY) {
          if (best === undefined || lane.streams.inFlight < best.streams.inFlight) best = lane;
        } else if (fallback === undefined && state !== connectivityState.TRANSIENT_FAILURE) fallback = lane.client;
      }
      if (best !== undefined) return best.client;
    }
    // None ready: a call on a failing channel ends UNAVAILABLE at once, which is the truth.
    return fallback ?? ((this.targets[this.cursor++ % n] as Lane[])[0] as Lane).client;
  }

  /** Streams open to the transcribers, and how many of them wait for a stream slot. */
  streams(): StreamCounts {
    const perConnection = this.config.streamsPerConnection ?? Number.POSITIVE_INFINITY;
    let open = 0;
    let waiting = 0;
    for (const lane of this.targets.flat()) {
      open += lane.streams.inFlight;
      // round_robin spreads a lane's streams over its addresses; past what they hold, streams wait.
      waiting += Math.max(0, lane.streams.inFlight - perConnection * lane.addresses);
    }
    return { open, waiting, connections: this.channels.length };
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

/** Counts a lane's calls from start to status, whatever ends them (cancel included). */
function countStreams(lane: StreamCounter): Interceptor {
  return (options, nextCall) =>
    new InterceptingCall(nextCall(options), {
      start(metadata, _listener, next) {
        lane.inFlight++;
        let counted = true;
        // A partial listener: grpc-js passes every other event on to the caller's own.
        next(metadata, {
          onReceiveStatus(status, nextStatus) {
            if (counted) lane.inFlight--;
            counted = false;
            nextStatus(status);
          },
        });
      },
    });
}
