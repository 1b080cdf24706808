import { Server } from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import type { EngineInfo } from '#gen/callscribe/v1/transcript.js';
import type { TranscriberServer } from '#gen/callscribe/v1/transcriber.js';
import type { TranscriberStats } from '#gen/callscribe/v1/stats.js';
import { createCallAdapters } from '#common/call-adapters.js';
import { log } from '#common/log.js';
import { createServiceMetrics, metricsAccess, serveMetrics, type MetricsEndpoint } from '#common/metrics.js';
import { addReflection } from '#common/reflection.js';
import { createServerLifecycle } from '#common/server-lifecycle.js';
import { loadServerSecurity } from '#common/server-options.js';
import { Admission } from '#common/admission.js';
import { grpcServerOptions } from '#common/server-limits.js';
import { Batcher } from './engine/batcher.js';
import { GPU_BACKENDS, type TranscriberConfig } from './config.js';
import { ffmpegAvailable } from './audio/decode/ffmpeg-decoder.js';
import { assignGpus, type GpuAssignment } from './gpu/gpu-assignment.js';
import { visibleGpus } from './gpu/gpu-discovery.js';
import { createGpuReader } from './gpu/gpu-stats.js';
import { diarize } from './diarize-pipeline.js';
import { DEFAULT_REGION_OPTIONS } from './speech/speech-regions.js';
import { tolerantTranscriberService } from './tolerant-service.js';
import { transcribe, type TranscriptionDeps } from './transcribe-pipeline.js';
import { addTranscriberMetrics } from './transcriber-metrics.js';
import { loadVadModel } from './speech/vad-model.js';
import { VadScheduler } from './speech/vad-scheduler.js';
import { WorkerPool } from './engine/worker-pool.js';

export interface RunningTranscriber {
  address: string;
  /** host:port of GET /metrics, when --metrics-listen is set. */
  metricsAddress?: string;
  pool: WorkerPool;
  batcher: Batcher;
  stop(graceMs?: number): Promise<void>;
}

const SERVICE_NAME = 'callscribe.v1.Transcriber';

export async function startTranscriber(config: TranscriberConfig): Promise<RunningTranscriber> {
  // Key and certificate files are read first: a wrong path should not wait for models to load.
  const security = loadServerSecurity(config);
  // Checked before anything starts: a setting that protects nothing is refused at once.
  const metricsSettings = metricsAccess(config, security.apiKeys);
  // GPU engines get one worker per visible GPU (or --workers, spread round-robin), each pinned to it.
  const gpus =
    GPU_BACKENDS.has(config.backend) || config.diarizer === 'pyannote' ? await visibleGpus(config.nvidiaSmiPath) : [];
  const asrDevices = GPU_BACKENDS.has(config.backend) ? assignGpus(config.workers, gpus) : undefined;
  const diarizerDevices = config.diarizer === 'pyannote' ? assignGpus(config.diarizerWorkers, gpus) : undefined;
  if (asrDevices !== undefined) log.info('worker devices', { asr: asrDevices.description });
  if (diarizerDevices !== undefined) log.info('diarizer worker devices', { diarizer: diarizerDevices.description });
  const poolFor = (backend: string, count: number, devices: GpuAssignment | undefined) =>
    new WorkerPool(
      devices?.workers.length ?? count,
      {
        pythonPath: config.pythonPath,
        workerDir: config.workerDir,
        backend,
        startTimeoutMs: config.workerStartTimeoutMs,
      },
      { devices: devices?.workers },
    );
  const pool = poolFor(config.backend, config.workers, asrDevices);
  const diarizers =
    config.diarizer === 'none' ? undefined : poolFor(config.diarizer, config.diarizerWorkers, diarizerDevices);
  // A diarizer that cannot load (pyannote without its package or HF_TOKEN) stops start-up with its
  // reason, and whatever did start is stopped again.
  const started = await Promise.allSettled([pool.start(), loadVadModel(), diarizers?.start()] as const);
  const failure = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure !== undefined) {
    await Promise.all([pool.stop(1000), diarizers?.stop(1000)]);
    if (started[1].status === 'fulfilled') await started[1].value.release();
    throw failure.reason;
  }
  const engineDescription = (started[0] as PromiseFulfilledResult<Awaited<ReturnType<WorkerPool['start']>>>).value;
  const vadModel = (started[1] as PromiseFulfilledResult<Awaited<ReturnType<typeof loadVadModel>>>).value;
  const engine: EngineInfo = {
    backend: engineDescription.backend,
    model: engineDescription.model,
    device: engineDescription.device,
    computeType: engineDescription.computeType,
    batchSize: config.batchSize,
    decodingOptions: engineDescription.options,
  };
  const batcher = new Batcher(pool, { batchSize: config.batchSize, maxDelayMs: config.maxDelayMs });
  const admission = new Admission({
    maxConcurrent: config.maxConcurrentRequests,
    // Its clients are gateways: a per-client limit here would cap a gateway, not a caller.
    maxPerClient: 0,
    retryAfterMs: config.retryAfterMs,
    backlog: () => ({ queued: batcher.queuedAudioSec, limit: config.maxQueuedAudioSec, what: 's of speech' }),
    refuseLate: config.refuseLate,
    maxQueueWaitMs: config.maxQueueWaitMs,
  });
  const vad = new VadScheduler(vadModel);
  const ffmpegPath = config.ffmpegPath !== '' && ffmpegAvailable(config.ffmpegPath) ? config.ffmpegPath : undefined;
  if (ffmpegPath === undefined) log.warn('ffmpeg not found: MP3/FLAC/OGG and non-PCM WAV codecs will be rejected');
  const readGpu = createGpuReader(config.nvidiaSmiPath);

  const regions = {
    ...DEFAULT_REGION_OPTIONS,
    threshold: config.vadThreshold,
    negThreshold: Math.max(0.01, config.vadThreshold - 0.15),
    // A region longer than a chunk is cut anyway; cutting it here lets its audio go (see speech-regions).
    maxSpeechMs: Math.max(1000, config.audioChunkSec * 1000 - 2 * config.speechPadMs),
  };
  const deps: TranscriptionDeps = {
    chunks: batcher,
    vad,
    engine: () => engine,
    languages: () => engineDescription.languages,
    options: {
      audioChunkSec: config.audioChunkSec,
      speechPadMs: config.speechPadMs,
      regions,
      ffmpegPath,
      maxAudioBytes: config.maxAudioBytes,
      maxSpoolBytes: config.maxSpoolBytes,
      maxBufferedAudioSec: config.maxBufferedAudioSec,
      maxInFlightChunks: config.maxInFlightChunks,
      maxAudioSec: config.maxAudioSec,
    },
  };
  const diarizeDeps = {
    vad,
    diarizers,
    regions,
    ffmpegPath,
    maxAudioBytes: config.maxAudioBytes,
    maxSpoolBytes: config.maxSpoolBytes,
    maxAudioSec: config.maxAudioSec,
  };
  const server = new Server(grpcServerOptions(config, 16 * 1024 * 1024));
  const health = new HealthImplementation();
  health.addToServer(server);
  addReflection(server, 'callscribe/v1/transcriber.proto', [SERVICE_NAME]);
  const lifecycle = createServerLifecycle({
    server,
    health,
    services: [SERVICE_NAME],
    defaultGraceMs: config.shutdownGraceMs,
    credentials: security.credentials,
  });
  const metrics = createServiceMetrics('transcriber');
  const transcriberMetrics = addTranscriberMetrics(metrics, {
    batcher,
    pools: diarizers === undefined ? [pool] : [pool, diarizers],
    readGpu,
  });
  const calls = createCallAdapters(lifecycle.shutdown, { apiKeys: security.apiKeys, metrics, limits: config });
  let audioSecTranscribed = 0;
  let address = '';

  const service: TranscriberServer = {
    transcribe: calls.bidi('transcribe', async function* (requests, context) {
      const release = admission.admit(context);
      try {
        for await (const event of transcribe(requests, deps, context.signal)) {
          if (event.event?.$case === 'final') {
            audioSecTranscribed += event.event.final.audioDurationSec;
            transcriberMetrics.requestFinished(event.event.final);
          }
          yield event;
        }
      } finally {
        release();
      }
    }),
    diarize: calls.clientStream('diarize', async (requests, context) => {
      const release = admission.admit(context);
      try {
        return await diarize(requests, diarizeDeps, context.signal);
      } finally {
        release();
      }
    }),
    getStats: calls.unary('getStats', async (): Promise<TranscriberStats> => {
      const s = batcher.stats;
      const transcribeCalls = calls.counts('transcribe');
      return {
        address,
        engine,
        inFlightRequests: transcribeCalls.inFlight,
        queueDepth: s.queueDepth,
        batchesDispatched: s.batchesDispatched,
        chunksDispatched: s.chunksDispatched,
        chunksCancelled: s.chunksCancelled,
        batchesRetried: s.batchesRetried,
        batchSizes: [...s.batchSizes].sort((a, b) => a[0] - b[0]).map(([batchSize, count]) => ({ batchSize, count })),
        workers: pool.workers(),
        gpu: await readGpu(),
        requestsCompleted: transcribeCalls.succeeded,
        requestsFailed: transcribeCalls.failed,
        audioSecTranscribed,
        requestsRefused: admission.counts.refused,
        queuedAudioSec: batcher.queuedAudioSec,
        notServingReason: pool.notServingReason ?? '',
      };
    }),
  };
  server.addService(tolerantTranscriberService, service);
  // Health follows the workers: a transcriber whose every worker is down cannot serve.
  let reported: string | undefined;
  const healthTimer = setInterval(() => {
    lifecycle.setReady(pool.serving);
    const reason = pool.notServingReason;
    if (reason !== reported) {
      if (reason !== undefined) log.error('transcriber NOT_SERVING', { reason });
      else log.info('transcriber SERVING again');
      reported = reason;
    }
  }, 1000);
  healthTimer.unref();
  const metricsEndpoint: MetricsEndpoint | undefined =
    config.metricsListen === ''
      ? undefined
      : await serveMetrics(config.metricsListen, metrics.registry, metricsSettings);
  address = await lifecycle.listen(config.listen, async () => {
    clearInterval(healthTimer);
    await metricsEndpoint?.close();
    await Promise.all([pool.stop(2000), diarizers?.stop(2000)]);
    await vadModel.release();
  });
  log.info('transcriber ready', {
    engine,
    workers: pool.workers().length,
    batchSize: config.batchSize,
    diarizer: config.diarizer,
    ffmpeg: ffmpegPath !== undefined,
    tls: config.tlsCert !== '',
    mtls: config.tlsClientCa !== '',
    apiKeys: security.apiKeys.required,
  });
  return {
    address,
    ...(metricsEndpoint === undefined ? {} : { metricsAddress: metricsEndpoint.address }),
    pool,
    batcher,
    stop: (graceMs?: number) => lifecycle.stop(graceMs),
  };
}
