/** One poll of Gateway.GetServerStats, as the report and server-stats.csv read it. */
export interface StatsSample {
  atMs: number;
  gpuAvailable: boolean;
  gpuReason: string;
  gpuUtilPct: number | undefined;
  gpuMemUsedBytes: number | undefined;
  queueDepth: number;
  serverInFlight: number;
  batches: number;
  chunks: number;
}
