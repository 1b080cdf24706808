import type { ServerStats } from '#gen/callscribe/v1/stats.js';

/**
 * GetServerStats as an unauthenticated caller sees it: the load, batches and GPUs, but no transcriber
 * address or worker pid (a map of the internal network and its processes). Transcribers are named by
 * their position instead. Callers with a valid API key see everything.
 */
export function withoutInternals(stats: ServerStats, addresses: readonly string[]): ServerStats {
  const named = (text: string) =>
    addresses.reduce((t, address, i) => t.split(address).join(`transcriber #${i + 1}`), text);
  return {
    ...stats,
    transcribers: stats.transcribers.map((t, i) => ({
      ...t,
      address: `transcriber #${i + 1}`,
      workers: t.workers.map((w) => ({ ...w, pid: 0 })),
    })),
    errors: stats.errors.map(named),
  };
}
