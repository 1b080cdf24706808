import { readFileSync } from 'node:fs';

/** services/transcriber/worker/protocol.json, read as types so tests can build and check messages from it. */
export type WireType =
  | { kind: 'string' | 'number' | 'integer' | 'boolean' | 'null' }
  | { kind: 'literal'; value: string }
  | { kind: 'array'; of: WireType }
  | { kind: 'tuple'; of: WireType[] }
  | { kind: 'union'; of: WireType[] }
  | { kind: 'object'; name: string; fields: Array<[string, WireType]> };

type Fields = Record<string, string>;

interface DescriptionFile {
  requests: Record<string, Fields>;
  replies: Record<string, Fields>;
  objects: Record<string, Fields | string>;
}

export interface Description {
  requests: Map<string, WireType & { kind: 'object' }>;
  replies: Map<string, WireType & { kind: 'object' }>;
}

const FILE = new URL('../../../services/transcriber/worker/protocol.json', import.meta.url);

/** Splits at `sep` outside brackets. */
function splitTop(text: string, sep: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '[') depth++;
    else if (c === ']') depth--;
    else if (c === sep && depth === 0) {
      parts.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(text.slice(start).trim());
  return parts;
}

export function loadDescription(): Description {
  const file = JSON.parse(readFileSync(FILE, 'utf8')) as DescriptionFile;
  const object = (name: string, fields: Fields): WireType & { kind: 'object' } => ({
    kind: 'object',
    name,
    fields: Object.entries(fields).map(([k, t]) => [k, parse(t)]),
  });
  const parse = (text: string): WireType => {
    const alternatives = splitTop(text, '|');
    if (alternatives.length > 1) return { kind: 'union', of: alternatives.map(parse) };
    const t = text.trim();
    if (t.endsWith('[]')) return { kind: 'array', of: parse(t.slice(0, -2)) };
    if (t.startsWith('[') && t.endsWith(']')) return { kind: 'tuple', of: splitTop(t.slice(1, -1), ',').map(parse) };
    if (/^'[^']*'$/.test(t)) return { kind: 'literal', value: t.slice(1, -1) };
    if (t === 'string' || t === 'number' || t === 'integer' || t === 'boolean' || t === 'null') return { kind: t };
    const named = file.objects[t];
    if (named === undefined) throw new Error(`protocol.json: unknown type ${JSON.stringify(t)}`);
    return typeof named === 'string' ? parse(named) : object(t, named);
  };
  const messages = (group: Record<string, Fields>) =>
    new Map(Object.entries(group).map(([name, fields]) => [name, object(name, fields)]));
  return { requests: messages(file.requests), replies: messages(file.replies) };
}

/** The literal `type` of a message. */
export function messageType(message: WireType & { kind: 'object' }): string {
  const t = message.fields.find(([k]) => k === 'type')?.[1];
  if (t?.kind !== 'literal') throw new Error(`protocol.json: ${message.name} has no literal type`);
  return t.value;
}

/** Whether `v` is exactly of type `t`: every field present, none extra. */
export function conforms(t: WireType, v: unknown): boolean {
  switch (t.kind) {
    case 'string':
    case 'number':
    case 'boolean':
      return typeof v === t.kind;
    case 'integer':
      return Number.isInteger(v);
    case 'null':
      return v === null;
    case 'literal':
      return v === t.value;
    case 'array':
      return Array.isArray(v) && v.every((e) => conforms(t.of, e));
    case 'tuple':
      return Array.isArray(v) && v.length === t.of.length && t.of.every((e, i) => conforms(e, v[i]));
    case 'union':
      return t.of.some((a) => conforms(a, v));
    case 'object': {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
      const o = v as Record<string, unknown>;
      const keys = Object.keys(o);
      return keys.length === t.fields.length && t.fields.every(([k, ft]) => keys.includes(k) && conforms(ft, o[k]));
    }
  }
}

/** The alternatives an array of `t` is sampled with: one element of each object of a union. */
function elementTypes(t: WireType): WireType[] {
  return t.kind === 'union' ? t.of : [t];
}

/** A value of type `t` with every field filled. */
export function sample(t: WireType): unknown {
  switch (t.kind) {
    case 'string':
      return 'text';
    case 'number':
      return 0.5;
    case 'integer':
      return 7;
    case 'boolean':
      return true;
    case 'null':
      return null;
    case 'literal':
      return t.value;
    case 'array':
      return elementTypes(t.of).map(sample);
    case 'tuple':
      return t.of.map(sample);
    case 'union':
      return sample(t.of[0] as WireType);
    case 'object':
      return Object.fromEntries(t.fields.map(([k, ft]) => [k, sample(ft)]));
  }
}

/**
 * Samples of `t` that between them take every alternative of every union once (`sample(t)` first),
 * so a literal or a type one side does not know is met.
 */
export function samples(t: WireType): unknown[] {
  const base = sample(t);
  switch (t.kind) {
    case 'union':
      return t.of.flatMap(samples);
    case 'object': {
      const o = base as Record<string, unknown>;
      return [
        base,
        ...t.fields.flatMap(([k, ft]) =>
          samples(ft)
            .slice(1)
            .map((v) => ({ ...o, [k]: v })),
        ),
      ];
    }
    case 'array':
    case 'tuple': {
      const a = base as unknown[];
      const types = t.kind === 'array' ? elementTypes(t.of) : t.of;
      return [
        base,
        ...types.flatMap((et, i) =>
          samples(et)
            .slice(1)
            .map((v) => a.map((e, j) => (j === i ? v : e))),
        ),
      ];
    }
    default:
      return [base];
  }
}

const CANDIDATES: unknown[] = ['x', 42, 1.5, true, null, {}, []];

/**
 * Copies of `v` (a sample of `t`) with one value, at `path`, replaced by one of a wrong type (each
 * wrong one in turn); the path reads as in "items[0].segments[0].words[0].start".
 */
export function* wrongTypes(t: WireType, v: unknown, path = ''): Generator<{ path: string; value: unknown }> {
  if (path !== '') for (const wrong of CANDIDATES.filter((c) => !conforms(t, c))) yield { path, value: wrong };
  if (t.kind === 'object') {
    const o = v as Record<string, unknown>;
    for (const [k, ft] of t.fields)
      for (const w of wrongTypes(ft, o[k], path === '' ? k : `${path}.${k}`))
        yield { ...w, value: { ...o, [k]: w.value } };
  } else if (t.kind === 'array' || t.kind === 'tuple') {
    const a = v as unknown[];
    const types = t.kind === 'array' ? elementTypes(t.of) : t.of;
    for (const [i, et] of types.entries())
      for (const w of wrongTypes(et, a[i], `${path}[${i}]`))
        yield { ...w, value: a.map((e, j) => (j === i ? w.value : e)) };
  }
}
