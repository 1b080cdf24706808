import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { serverLimitOptions } from '#common/server-limits.js';
import { formatHelp, option, optionDefaults, parsers, type ParsedArgs } from '#common/options.js';
import { serverSecurityOptions } from '#common/server-options.js';
import { assignGpus } from './gpu/gpu-assignment.js';
import { visibleGpusSync } from './gpu/gpu-discovery.js';

/** Engines that run on a GPU when one is visible: their workers are pinned one per GPU. */
export const GPU_BACKENDS: ReadonlySet<string> = new Set(['whisperx', 'hf']);
/** Chunks per GPU engine call unless BATCH_SIZE or WHISPERX_BATCH_SIZE says otherwise: whisperX's own default. */
export const GPU_BATCH_SIZE = 16;

export const transcriberOptions = {
  listen: option({
    flag: 'listen',
    env: 'TRANSCRIBER_LISTEN',
    defaultValue: '127.0.0.1:50052',
    help: 'gRPC listen address (port 0 = ephemeral; 0.0.0.0:50052 to accept other hosts)',
    parse: parsers.hostPort,
  }),
  backend: option({
    flag: 'backend',
    aliases: ['engine'],
    env: 'CALLSCRIBE_BACKEND',
    defaultValue: 'sphinx' as 'sphinx' | 'whisperx' | 'hf',
    help: 'speech engine: sphinx (CPU), whisperx or hf (GPU)',
    parse: parsers.choice(['sphinx', 'whisperx', 'hf'] as const),
  }),
  workers: option({
    flag: 'workers',
    env: 'WORKERS',
    defaultValue: 0,
    help: 'model worker processes (0 = one per core for sphinx; one per visible GPU for whisperx/hf, each pinned with CUDA_VISIBLE_DEVICES)',
    parse: parsers.int(0, 64),
  }),
  batchSize: option({
    flag: 'batch-size',
    env: 'BATCH_SIZE',
    defaultValue: 0,
    help: 'chunks per engine call (0 = 4 for sphinx, WHISPERX_BATCH_SIZE or 16 on GPU; the worker halves a batch that runs out of GPU memory)',
    parse: parsers.int(0, 512),
  }),
  maxDelayMs: option({
    flag: 'max-delay-ms',
    env: 'BATCH_MAX_DELAY_MS',
    defaultValue: -1,
    help: 'longest a chunk waits for a fuller batch while a worker is free (-1 = 0 for sphinx, 10 on GPU)',
    parse: parsers.int(-1, 10_000),
  }),
  ...serverLimitOptions,
  refuseLate: option({
    flag: 'refuse-late',
    env: 'REFUSE_LATE',
    defaultValue: true,
    help: 'refuse at once (RESOURCE_EXHAUSTED) a request that could not finish before its deadline behind those running, or would push one of them past theirs, from the measured service rate; false admits it and lets the deadlines decide',
    parse: parsers.boolean,
  }),
  maxQueueWaitMs: option({
    flag: 'max-queue-wait-ms',
    env: 'MAX_QUEUE_WAIT_MS',
    defaultValue: 0,
    help: "longest a new request may expect to take behind those running (from the measured service rate); past it, or past the caller's deadline, it is refused at once with RESOURCE_EXHAUSTED (0 = the deadline alone)",
    parse: parsers.int(0, 86_400_000),
  }),
  maxQueuedAudioSec: option({
    flag: 'max-queued-audio-sec',
    env: 'MAX_QUEUED_AUDIO_SEC',
    defaultValue: 600,
    help: 'speech waiting for a worker, across requests, at which new requests are refused (RESOURCE_EXHAUSTED); admitted ones always finish',
    parse: parsers.number(1, 10_000_000),
  }),
  maxBufferedAudioSec: option({
    flag: 'max-buffered-audio-sec',
    env: 'MAX_BUFFERED_AUDIO_SEC',
    defaultValue: 120,
    help: 'decoded audio one request may hold ahead of VAD and chunking, per channel; past it the upload is paused (HTTP/2 flow control), not buffered. At least 2x --audio-chunk-sec',
    parse: parsers.number(10, 3600),
  }),
  maxInFlightChunks: option({
    flag: 'max-in-flight-chunks',
    env: 'MAX_IN_FLIGHT_CHUNKS',
    defaultValue: 0,
    help: 'chunks one request may have queued or running at once (0 = 2x batch size, at least 8)',
    parse: parsers.int(0, 10_000),
  }),
  maxAudioSec: option({
    flag: 'max-audio-sec',
    env: 'MAX_AUDIO_SEC',
    defaultValue: 4 * 3600,
    help: 'longest audio accepted per request, decoded (INVALID_ARGUMENT past it)',
    parse: parsers.number(1, 1_000_000),
  }),
  diarizer: option({
    flag: 'diarizer',
    env: 'DIARIZER_BACKEND',
    defaultValue: 'spectral' as 'spectral' | 'pyannote' | 'none',
    help: 'diarizer for mono audio: spectral (CPU), pyannote (GPU, needs HF_TOKEN) or none',
    parse: parsers.choice(['spectral', 'pyannote', 'none'] as const),
  }),
  diarizerWorkers: option({
    flag: 'diarizer-workers',
    env: 'DIARIZER_WORKERS',
    defaultValue: 1,
    help: 'diarizer worker processes',
    parse: parsers.int(1, 64),
  }),
  audioChunkSec: option({
    flag: 'audio-chunk-sec',
    env: 'AUDIO_CHUNK_SEC',
    defaultValue: 30,
    help: 'most speech per chunk sent to the engine',
    parse: parsers.number(1, 30),
  }),
  speechPadMs: option({
    flag: 'speech-pad-ms',
    env: 'SPEECH_PAD_MS',
    defaultValue: 200,
    help: 'audio kept either side of detected speech',
    parse: parsers.int(0, 2000),
  }),
  vadThreshold: option({
    flag: 'vad-threshold',
    env: 'VAD_THRESHOLD',
    defaultValue: 0.5,
    help: 'speech probability that starts a region',
    parse: parsers.number(0.05, 0.95),
  }),
  maxAudioBytes: option({
    flag: 'max-audio-bytes',
    env: 'MAX_AUDIO_BYTES',
    defaultValue: 2 * 1024 ** 3,
    help: 'largest audio accepted per request',
    parse: parsers.int(1024, 2 ** 40),
  }),
  maxSpoolBytes: option({
    flag: 'max-spool-bytes',
    env: 'MAX_SPOOL_BYTES',
    defaultValue: 1024 ** 3,
    help: 'largest upload held in a private temporary file because it can only be decoded with seeking (an MP4/M4A with its index at the end, as phones and ffmpeg write it by default); past it, INVALID_ARGUMENT',
    parse: parsers.int(1024, 2 ** 40),
  }),
  pythonPath: option({
    flag: 'python',
    env: 'CALLSCRIBE_PYTHON',
    defaultValue: '/usr/bin/python3',
    help: "worker interpreter (Debian's, which sees apt's python3-* packages)",
    parse: parsers.string,
  }),
  ffmpegPath: option({
    flag: 'ffmpeg',
    env: 'FFMPEG_PATH',
    defaultValue: 'ffmpeg',
    help: 'ffmpeg for MP3/FLAC/OGG and WAV codecs beyond PCM/G.711 ("" disables)',
    parse: parsers.string,
  }),
  nvidiaSmiPath: option({
    flag: 'nvidia-smi',
    env: 'NVIDIA_SMI_PATH',
    defaultValue: 'nvidia-smi',
    help: 'nvidia-smi used for GPU stats',
    parse: parsers.string,
  }),
  workerStartTimeoutMs: option({
    flag: 'worker-start-timeout-ms',
    env: 'WORKER_START_TIMEOUT_MS',
    defaultValue: 600_000,
    help: 'how long a worker may take to load its model',
    parse: parsers.int(1000, 3_600_000),
  }),
  ...serverSecurityOptions,
  shutdownGraceMs: option({
    flag: 'shutdown-grace-ms',
    env: 'SHUTDOWN_GRACE_MS',
    defaultValue: 10_000,
    help: 'time in-flight calls get to finish on SIGTERM',
    parse: parsers.int(0, 600_000),
  }),
};

export type TranscriberConfig = ParsedArgs<typeof transcriberOptions>['values'] & { workerDir: string };

export const transcriberHelp = () =>
  formatHelp(
    'callscribe-transcriber: decode, VAD, batch and transcribe audio streams (gRPC callscribe.v1.Transcriber)',
    transcriberOptions,
  ) + gpuHelp();

/** Which worker would own which GPU here, so an operator sees the plan before starting anything. */
function gpuHelp(): string {
  const gpus = visibleGpusSync(process.env['NVIDIA_SMI_PATH'] ?? 'nvidia-smi');
  const workers = Number.parseInt(process.env['WORKERS'] ?? '0', 10);
  const plan = assignGpus(Number.isInteger(workers) && workers >= 0 ? workers : 0, gpus);
  return (
    '\nGPU workers (whisperx, hf; pyannote diarizer workers likewise): worker i gets the i-th visible GPU\n' +
    '(CUDA_VISIBLE_DEVICES, else nvidia-smi -L), round-robin when there are more workers than GPUs, and is\n' +
    'started with CUDA_VISIBLE_DEVICES set to that one device. GetStats lists each worker with its device.\n' +
    `On this machine, with --workers ${plan.workers.length === 0 ? 0 : workers || 0}: ${plan.description}\n`
  );
}

/** Fills the defaults that depend on the backend and the machine. */
export function resolveTranscriberConfig(values: ParsedArgs<typeof transcriberOptions>['values']): TranscriberConfig {
  const gpu = GPU_BACKENDS.has(values.backend);
  const whisperxBatch = Number(process.env['WHISPERX_BATCH_SIZE'] ?? '');
  const batchSize =
    values.batchSize ||
    // 48 chunks of large-v2 at beam 5 (240 hypotheses) beside pyannote expect an OOM below 80 GB.
    (gpu ? (Number.isInteger(whisperxBatch) && whisperxBatch > 0 ? whisperxBatch : GPU_BATCH_SIZE) : 4);
  return {
    ...values,
    // GPU engines keep 0 (one per visible GPU): the server counts the GPUs before it starts workers.
    workers: values.workers || (gpu ? 0 : availableParallelism()),
    // A CPU engine gains nothing from a fuller batch, so never hold a chunk back for one; on a GPU
    // 10 ms of waiting buys batches that cost about as much as a single chunk.
    maxDelayMs: values.maxDelayMs >= 0 ? values.maxDelayMs : gpu ? 10 : 0,
    batchSize,
    // A request may fill two batches: enough for one long file to use the engine fully, no more.
    maxInFlightChunks: values.maxInFlightChunks || Math.max(8, 2 * batchSize),
    // Chunking needs a whole chunk of audio (plus padding and a VAD lane) in hand before it can cut.
    maxBufferedAudioSec: Math.max(values.maxBufferedAudioSec, 2 * values.audioChunkSec + 10),
    workerDir: fileURLToPath(new URL('../../../../services/transcriber/worker', import.meta.url)),
  };
}

export function defaultTranscriberConfig(overrides: Partial<TranscriberConfig> = {}): TranscriberConfig {
  return { ...resolveTranscriberConfig(optionDefaults(transcriberOptions)), ...overrides };
}
