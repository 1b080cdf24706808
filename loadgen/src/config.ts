import {
  formatHelp,
  option,
  optionDefaults,
  OptionError,
  parsers,
  repeatable,
  type ParsedArgs,
} from '#common/options.js';
import { clientSecurityOptions, gatewayTargetOption } from '#common/client-options.js';
import { EXIT_CODES_HELP } from './gate/exit-codes.js';
import { parseThreshold, type Threshold } from './gate/thresholds.js';
import { PROTOCOLS, isHttpTarget, parseLoadgenTarget, type ProtocolName } from './run/protocols/protocol-choice.js';
import { defaultCacheDir } from './source/cache-root.js';
import { AUDIO_EXTENSIONS } from './source/recording.js';

export const runOptions = {
  source: option({
    flag: 'source',
    defaultValue: '',
    help: 's3://bucket/prefix or a local folder of recordings',
    parse: parsers.string,
  }),
  target: option({
    ...gatewayTargetOption.target,
    help: 'gateway host:port (--protocol grpc), or http(s)://host:port (whisperx-http, openai)',
    parse: parseLoadgenTarget,
  }),
  protocol: option({
    flag: 'protocol',
    defaultValue: 'grpc' as ProtocolName,
    help: "grpc: callscribe's StreamTranscribe; whisperx-http: POST /asr/upload_file (WhisperX FastAPI); openai: POST /v1/audio/transcriptions",
    parse: parsers.choice(PROTOCOLS),
  }),
  openaiModel: option({
    flag: 'openai-model',
    defaultValue: 'whisper-1',
    help: 'openai: the model field sent with each request',
    parse: parsers.string,
  }),
  openaiStream: option({
    flag: 'openai-stream',
    defaultValue: true,
    help: 'openai: ask for stream=true (server-sent events) to measure time to first text; --no-openai-stream asks for verbose_json (segments, no TTFS)',
    parse: parsers.boolean,
  }),
  ...clientSecurityOptions,
  concurrency: option({
    flag: 'concurrency',
    defaultValue: 4,
    help: 'closed loop: requests kept in flight',
    parse: parsers.int(1, 100_000),
  }),
  rate: option({
    flag: 'rate',
    defaultValue: 0,
    help: 'open loop: requests per second (0 = closed loop)',
    parse: parsers.number(0, 1_000_000),
  }),
  arrival: option({
    flag: 'arrival',
    defaultValue: 'poisson' as 'poisson' | 'constant',
    help: 'open-loop arrivals',
    parse: parsers.choice(['poisson', 'constant'] as const),
  }),
  count: option({
    flag: 'count',
    defaultValue: 0,
    help: 'stop after this many requests per level (0 = use --duration or --passes)',
    parse: parsers.int(0, 100_000_000),
  }),
  durationSec: option({
    flag: 'duration',
    defaultValue: 0,
    help: 'stop issuing after this many seconds per level',
    parse: parsers.number(0, 7 * 86400),
  }),
  passes: option({
    flag: 'passes',
    defaultValue: 1,
    help: 'times each recording is sent per level (when no --count/--duration)',
    parse: parsers.int(1, 1_000_000),
  }),
  warmup: option({
    flag: 'warmup',
    defaultValue: 0,
    help: 'requests sent first at each level and not measured',
    parse: parsers.int(0, 1_000_000),
  }),
  sweep: option({
    flag: 'sweep',
    defaultValue: [] as string[],
    help: 'levels run one after another: concurrencies (or rates with --rate), e.g. 1,2,4,8',
    parse: parsers.list,
  }),
  pace: option({
    flag: 'pace',
    defaultValue: 'max' as 'max' | 'realtime',
    help: "max: send as fast as flow control allows; realtime: at the audio's own speed, like a live call",
    parse: parsers.choice(['max', 'realtime'] as const),
  }),
  out: option({
    flag: 'out',
    defaultValue: 'results',
    help: 'results folder; each run writes <out>/<run-id>/',
    parse: parsers.string,
  }),
  runId: option({
    flag: 'run-id',
    defaultValue: '',
    help: 'name of this run (default: a timestamp)',
    parse: parsers.string,
  }),
  cacheDir: option({
    flag: 'cache-dir',
    env: 'CALLSCRIBE_CACHE_DIR',
    defaultValue: defaultCacheDir(),
    help: 'where S3 objects are cached (created mode 0700; a folder owned by another user is refused)',
    parse: parsers.string,
  }),
  extensions: option({
    flag: 'ext',
    defaultValue: AUDIO_EXTENSIONS,
    help: 'audio file extensions to take',
    parse: parsers.list,
  }),
  s3Endpoint: option({
    flag: 's3-endpoint',
    env: 'AWS_ENDPOINT_URL_S3',
    defaultValue: '',
    help: 'S3-compatible endpoint URL (MinIO, ...); user:password in it are used as the access key pair and never recorded',
    parse: parsers.string,
  }),
  s3Region: option({
    flag: 's3-region',
    env: 'AWS_REGION',
    defaultValue: 'us-east-1',
    help: 'S3 region',
    parse: parsers.string,
  }),
  s3PathStyle: option({
    flag: 's3-path-style',
    defaultValue: false,
    help: 'path-style requests (on by default with --s3-endpoint)',
    parse: parsers.boolean,
  }),
  s3PageSize: option({
    flag: 's3-page-size',
    defaultValue: 1000,
    help: 'keys per ListObjectsV2 page',
    parse: parsers.int(1, 1000),
  }),
  downloadConcurrency: option({
    flag: 'download-concurrency',
    defaultValue: 8,
    help: 'parallel downloads into the cache',
    parse: parsers.int(1, 256),
  }),
  diarization: option({
    flag: 'diarization',
    defaultValue: 'none' as 'none' | 'channels' | 'cluster' | 'auto',
    help: 'ask for speakers: channels, cluster, auto (DER is scored where <name>.rttm sits beside the audio)',
    parse: parsers.choice(['none', 'channels', 'cluster', 'auto'] as const),
  }),
  language: option({
    flag: 'language',
    defaultValue: '',
    help: 'language code sent in the config',
    parse: parsers.string,
  }),
  chunkBytes: option({
    flag: 'chunk-bytes',
    defaultValue: 32 * 1024,
    help: 'bytes per audio message',
    parse: parsers.int(256, 16 * 1024 * 1024),
  }),
  deadlineMs: option({
    flag: 'deadline-ms',
    defaultValue: 600_000,
    help: 'deadline per request',
    parse: parsers.int(1, 86_400_000),
  }),
  statsIntervalMs: option({
    flag: 'stats-interval-ms',
    defaultValue: 1000,
    help: 'how often server/GPU stats are sampled',
    parse: parsers.int(50, 60_000),
  }),
  maxInFlight: option({
    flag: 'max-in-flight',
    defaultValue: 10_000,
    help: 'open loop: cap on requests in flight (waiting past it counts in latency)',
    parse: parsers.int(1, 1_000_000),
  }),
  thresholds: repeatable<Threshold>({
    flag: 'threshold',
    defaultValue: [],
    help: "pass/fail per level, repeatable: 'latency.p99<30000' (ms), 'rtf.p50<0.1', 'ttfs.p90<2000', 'errors.rate<0.01', 'wer<0.25', 'der<0.2', 'throughput>2'; exit 99 when one fails",
    parse: parseThreshold,
  }),
  abortErrorRate: option({
    flag: 'abort-error-rate',
    defaultValue: 0.5,
    help: "stop the run when more than this share of a level's requests failed (1 = never)",
    parse: parsers.number(0, 1),
  }),
  abortMinRequests: option({
    flag: 'abort-min-requests',
    defaultValue: 20,
    help: 'finished requests in a level before --abort-error-rate applies',
    parse: parsers.int(1, 1_000_000),
  }),
  backoffMaxMs: option({
    flag: 'backoff-max-ms',
    defaultValue: 10_000,
    help: 'longest pause after consecutive UNAVAILABLE/RESOURCE_EXHAUSTED/INTERNAL answers (exponential from 100 ms, jittered; 0 = no back-off)',
    parse: parsers.int(0, 600_000),
  }),
  preflight: option({
    flag: 'preflight',
    defaultValue: true,
    help: 'before the first level: health check, source listing and one probe request with the smallest recording',
    parse: parsers.boolean,
  }),
  preflightTimeoutMs: option({
    flag: 'preflight-timeout-ms',
    defaultValue: 5000,
    help: 'how long the preflight health check waits for the target',
    parse: parsers.int(100, 600_000),
  }),
  pushgateway: option({
    flag: 'pushgateway',
    env: 'CALLSCRIBE_PUSHGATEWAY',
    defaultValue: '',
    help: 'Prometheus Pushgateway URL: the per-level results (metrics.prom) are pushed there as job callscribe_loadgen',
    parse: parsers.string,
  }),
  progress: option({
    flag: 'progress',
    defaultValue: 'auto' as 'auto' | 'plain' | 'off',
    help: 'auto: one updating line on a TTY, plain lines otherwise; plain; off',
    parse: parsers.choice(['auto', 'plain', 'off'] as const),
  }),
  costPerHour: option({
    flag: 'cost-per-hour',
    defaultValue: 0,
    help: 'what the serving machine costs, USD per hour: adds the cost per audio hour at each level (0 = not shown)',
    parse: parsers.number(0, 1_000_000),
  }),
  compare: option({
    flag: 'compare',
    defaultValue: '',
    help: 'A/B in one run: KEY=A,B with KEY diarization, target, protocol, language or chunk-bytes; the two arms run interleaved, round by round (e.g. diarization=none,auto)',
    parse: parsers.string,
  }),
  rounds: option({
    flag: 'rounds',
    defaultValue: 3,
    help: 'with --compare: rounds, each one level per arm (A B, then B A, ...)',
    parse: parsers.int(1, 1000),
  }),
  findMax: option({
    flag: 'find-max',
    defaultValue: [] as Threshold[],
    help: "search for the highest concurrency (or rate, with --rate as the start) that meets these thresholds and every --threshold, e.g. 'latency.p99<30000' (comma-separated for several)",
    parse: (raw: string) => parsers.list(raw).map(parseThreshold),
  }),
  stabilityPercent: option({
    flag: 'stability-percent',
    defaultValue: 10,
    help: 'with --find-max: a level counts when 3 successive windows agree within this % on throughput and mean latency',
    parse: parsers.number(0.1, 1000),
  }),
  maxWindows: option({
    flag: 'max-windows',
    defaultValue: 10,
    help: 'with --find-max: windows at one level before it is called unstable (each window is one level run: --count, --duration or --passes)',
    parse: parsers.int(3, 1000),
  }),
  findMaxLimit: option({
    flag: 'find-max-limit',
    defaultValue: 1024,
    help: 'with --find-max: the highest concurrency (or rate) tried',
    parse: parsers.number(1, 1_000_000),
  }),
  seed: option({ flag: 'seed', defaultValue: 1, help: 'seed for Poisson arrivals', parse: parsers.int(0, 2 ** 31) }),
};

export type RunConfig = ParsedArgs<typeof runOptions>['values'];

export const runHelp = () =>
  formatHelp(
    'usage: callscribe-loadgen run --source s3://bucket/prefix|./folder [--target host:port] [options]\n       callscribe-loadgen merge a.hlog b.hlog ... [--out merged.hlog]',
    runOptions,
  ) +
  '\n' +
  EXIT_CODES_HELP;

/** A validated run config: defaults with `overrides` laid on, for callers that are not the CLI. */
export function defaultRunConfig(overrides: Partial<RunConfig>): RunConfig {
  return validateRunConfig({ ...optionDefaults(runOptions), ...overrides });
}

/** Cross-field checks, with the flag names a person would fix. */
function checkProtocolTarget(c: RunConfig): void {
  if (c.protocol === 'grpc' && isHttpTarget(c.target))
    throw new OptionError(
      `--target ${c.target} is an HTTP URL but --protocol is grpc: give the gateway's gRPC host:port, or add --protocol whisperx-http or --protocol openai`,
    );
  if (c.protocol !== 'grpc' && !isHttpTarget(c.target))
    throw new OptionError(
      `--protocol ${c.protocol} needs --target http(s)://host:port (the HTTP endpoint, e.g. the gateway's --http-listen port), got "${c.target}"`,
    );
  if (c.protocol === 'whisperx-http' && (c.diarization === 'channels' || c.diarization === 'cluster'))
    throw new OptionError(
      `--protocol whisperx-http takes --diarization none or auto: its "diarization" header is on or off, and the server picks the method (got ${c.diarization})`,
    );
}

export function validateRunConfig(c: RunConfig): RunConfig {
  if (c.source === '') throw new OptionError('--source is required: s3://bucket/prefix or a folder');
  const levels = c.sweep.map(Number);
  if (levels.some((n) => !Number.isFinite(n) || n <= 0))
    throw new OptionError(`--sweep takes positive numbers, got "${c.sweep.join(',')}"`);
  if (c.rate === 0 && levels.some((n) => !Number.isInteger(n)))
    throw new OptionError('--sweep concurrencies must be whole numbers');
  if (c.pushgateway !== '' && !/^https?:\/\/[^/]+/.test(c.pushgateway))
    throw new OptionError(`--pushgateway must be an http(s) URL, got "${c.pushgateway}"`);
  // Under --compare protocol=, target= or diarization= each arm is checked instead (compare-keys.ts):
  // the base config alone may pair the default protocol with an HTTP target the arms never use.
  if (!['protocol', 'target', 'diarization'].includes(c.compare.split('=')[0]?.trim() ?? '')) checkProtocolTarget(c);
  if (c.compare !== '' && (c.sweep.length > 0 || c.findMax.length > 0))
    throw new OptionError('--compare runs one level per arm: drop --sweep and --find-max');
  if (c.findMax.length > 0 && c.sweep.length > 0)
    throw new OptionError('--find-max chooses the levels itself: drop --sweep');
  const endpoint = c.s3Endpoint !== '';
  return {
    ...c,
    s3PathStyle: c.s3PathStyle || endpoint,
    runId: c.runId || new Date().toISOString().replace(/[:.]/g, '-'),
  };
}
