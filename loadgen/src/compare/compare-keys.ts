import { OptionError } from '#common/options.js';
import { runOptions, validateRunConfig, type RunConfig } from '../config.js';

/**
 * What --compare can vary. An arm is the resolved config with one field replaced, parsed by that
 * field's own option parser, so a new key is one more field name here (e.g. `protocol`).
 */
const COMPARE_FIELDS = ['diarization', 'target', 'protocol', 'language', 'chunkBytes'] as const satisfies ReadonlyArray<
  keyof typeof runOptions & keyof RunConfig
>;
type CompareField = (typeof COMPARE_FIELDS)[number];

export interface CompareSpec {
  /** The key as typed: the option's flag, e.g. chunk-bytes. */
  key: string;
  field: CompareField;
  /** The two values as given, for labels. */
  labels: [string, string];
  values: [RunConfig[CompareField], RunConfig[CompareField]];
}

const keys = () => COMPARE_FIELDS.map((f) => runOptions[f].flag);

export function parseCompare(raw: string): CompareSpec {
  const hint = `--compare takes KEY=A,B with KEY one of ${keys().join(', ')}, e.g. diarization=none,auto; got "${raw}"`;
  const at = raw.indexOf('=');
  if (at <= 0) throw new OptionError(hint);
  const key = raw.slice(0, at).trim();
  const field = COMPARE_FIELDS.find((f) => runOptions[f].flag === key);
  if (field === undefined) throw new OptionError(`unknown --compare key "${key}": ${hint}`);
  const parts = raw
    .slice(at + 1)
    .split(',')
    .map((s) => s.trim());
  if (parts.length !== 2) throw new OptionError(`--compare ${key} needs exactly two values, A,B: ${hint}`);
  const [a, b] = parts as [string, string];
  if (a === b) throw new OptionError(`--compare ${key}: the two arms are the same ("${a}"); give two different values`);
  const parse = (v: string) => runOptions[field].parse(v, `--compare ${key}`) as RunConfig[CompareField];
  return { key, field, labels: [a, b], values: [parse(a), parse(b)] };
}

/** Arm 0 (A) or 1 (B): the run's config with the compared field set to that arm's value. */
export const armConfig = (c: RunConfig, spec: CompareSpec, arm: 0 | 1): RunConfig =>
  ({ ...c, [spec.field]: spec.values[arm] }) as RunConfig;

/**
 * Each arm is checked as a run of its own before either starts: `protocol=grpc,openai` shares one
 * --target, which cannot be both a gRPC address and an HTTP URL.
 */
export function checkArms(c: RunConfig, spec: CompareSpec): void {
  for (const arm of [0, 1] as const) {
    try {
      validateRunConfig({ ...armConfig(c, spec, arm), compare: '' });
    } catch (err: unknown) {
      if (!(err instanceof OptionError)) throw err;
      const why =
        spec.field === 'protocol'
          ? "; both arms share --target, so compare two protocols that share it (whisperx-http,openai on the gateway's HTTP URL), or two deployments with target=A,B"
          : '';
      throw new OptionError(
        `--compare ${spec.key}=${spec.labels.join(',')}, arm ${spec.labels[arm]}: ${err.message}${why}`,
      );
    }
  }
}
