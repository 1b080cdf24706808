/**
 * `promtool check metrics` for tests, where promtool is not installed: the text exposition format
 * (0.0.4) parsed into families, then the rules of client_golang's promlint, which promtool runs,
 * with its messages. Returns "<family>: <problem>" lines; none means promtool would pass it.
 */

interface Family {
  help: string | undefined;
  type: string | undefined;
  labelNames: Set<string>;
}

// promlint's tables (prometheus/client_golang, testutil/promlint).
const UNITS: Record<string, string> = {
  amperes: 'amperes',
  bytes: 'bytes',
  celsius: 'celsius',
  grams: 'grams',
  joules: 'joules',
  kelvin: 'kelvin',
  meters: 'meters',
  metres: 'metres',
  seconds: 'seconds',
  volts: 'volts',
  minutes: 'seconds',
  hours: 'seconds',
  days: 'seconds',
  weeks: 'seconds',
  kelvins: 'kelvin',
  fahrenheit: 'celsius',
  rankine: 'celsius',
  inches: 'meters',
  yards: 'meters',
  miles: 'meters',
  bits: 'bytes',
  calories: 'joules',
  pounds: 'grams',
  ounces: 'grams',
};
const UNIT_PREFIXES = [
  'pico',
  'nano',
  'micro',
  'milli',
  'centi',
  'deci',
  'deca',
  'hecto',
  'kilo',
  'kibi',
  'mega',
  'mibi',
  'giga',
  'gibi',
  'tera',
  'tebi',
  'peta',
  'pebi',
];
const UNIT_ABBREVIATIONS = ['s', 'ms', 'us', 'ns', 'sec', 'b', 'kb', 'mb', 'gb', 'tb', 'pb', 'm', 'h', 'd'];
const TYPES = ['counter', 'gauge', 'summary', 'untyped', 'histogram', 'gaugehistogram'];
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const CAMEL_CASE = /[a-z][A-Z]/;

/** The families of an exposition, and the format errors promtool's parser would stop at. */
export function parseExposition(text: string): { families: Map<string, Family>; errors: string[] } {
  const families = new Map<string, Family>();
  const errors: string[] = [];
  const family = (name: string) => {
    let f = families.get(name);
    if (f === undefined) {
      f = { help: undefined, type: undefined, labelNames: new Set() };
      families.set(name, f);
    }
    return f;
  };
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const meta = /^#\s+(HELP|TYPE)\s+(\S+)(?:\s+(.*))?$/.exec(line);
    if (meta !== null) {
      const [, kind, name = '', rest = ''] = meta;
      const f = family(name);
      if (kind === 'HELP') f.help = rest;
      else if (f.type !== undefined) errors.push(`${name}: second TYPE line`);
      else if (!TYPES.includes(rest)) errors.push(`${name}: unknown type "${rest}"`);
      else f.type = rest;
      continue;
    }
    if (line.startsWith('#')) continue;
    const sample = /^([^\s{]+)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?$/.exec(line);
    if (sample === null) {
      errors.push(`not a sample line: ${line}`);
      continue;
    }
    const [, name = '', labels = ''] = sample;
    if (!METRIC_NAME.test(name)) errors.push(`${name}: invalid metric name`);
    // A summary's and a histogram's samples carry suffixes; they belong to the family without them.
    const base = name.replace(/_(sum|count|bucket)$/, '');
    const owner = base !== name && ['summary', 'histogram'].includes(families.get(base)?.type ?? '') ? base : name;
    const f = family(owner);
    const rest = labels.replace(/([^=,\s]+)\s*=\s*"(?:[^"\\]|\\.)*"\s*,?/g, (_, label: string) => {
      if (!LABEL_NAME.test(label)) errors.push(`${owner}: invalid label name "${label}"`);
      f.labelNames.add(label);
      return '';
    });
    if (rest.trim() !== '') errors.push(`${owner}: cannot parse labels {${labels}}`);
  }
  return { families, errors };
}

function metricUnit(name: string): { unit: string; base: string } | undefined {
  const parts = name.split('_');
  for (const [unit, base] of Object.entries(UNITS))
    for (const prefix of [...UNIT_PREFIXES, ''])
      if (parts.includes(prefix + unit)) return { unit: prefix + unit, base };
  return undefined;
}

/** promlint's rules, one family at a time. */
export function lintFamily(name: string, f: Family): string[] {
  const problems: string[] = [];
  const type = f.type ?? 'untyped';
  const lower = name.toLowerCase();
  if (f.help === undefined) problems.push('no help text');
  const unit = metricUnit(name);
  if (unit !== undefined && unit.unit !== unit.base)
    problems.push(`use base unit "${unit.base}" instead of "${unit.unit}"`);
  const total = name.endsWith('_total');
  if (type === 'counter' && !total) problems.push('counter metrics should have "_total" suffix');
  if (type !== 'untyped' && type !== 'counter' && total)
    problems.push('non-counter metrics should not have "_total" suffix');
  if (type !== 'untyped') {
    const histogram = type === 'histogram';
    const summary = type === 'summary';
    if (!histogram && name.endsWith('_bucket')) problems.push('non-histogram metrics should not have "_bucket" suffix');
    if (!histogram && !summary && name.endsWith('_count'))
      problems.push('non-histogram and non-summary metrics should not have "_count" suffix');
    if (!histogram && !summary && name.endsWith('_sum'))
      problems.push('non-histogram and non-summary metrics should not have "_sum" suffix');
    if (!histogram && f.labelNames.has('le')) problems.push('non-histogram metrics should not have "le" label');
    if (!summary && f.labelNames.has('quantile')) problems.push('non-summary metrics should not have "quantile" label');
  }
  for (const t of ['counter', 'gauge', 'summary', 'histogram', 'gauge_histogram'])
    if (lower.includes(`_${t}_`) || lower.endsWith(`_${t}`))
      problems.push(`metric name should not include type '${t}'`);
  if (name.includes(':')) problems.push("metric names should not contain ':'");
  if (CAMEL_CASE.test(name)) problems.push("metric names should be written in 'snake_case' not 'camelCase'");
  for (const label of f.labelNames)
    if (CAMEL_CASE.test(label)) problems.push("label names should be written in 'snake_case' not 'camelCase'");
  for (const a of UNIT_ABBREVIATIONS)
    if (lower.includes(`_${a}_`) || lower.endsWith(`_${a}`))
      problems.push('metric names should not contain abbreviated units');
  return problems;
}

/** What `promtool check metrics` would print for this exposition text, as "<family>: <problem>" lines. */
export function promlint(text: string): string[] {
  const { families, errors } = parseExposition(text);
  return [...errors, ...[...families].flatMap(([name, f]) => lintFamily(name, f).map((p) => `${name}: ${p}`))].sort();
}
