import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

// A collection before each reading, so what is measured is what is still held, not garbage.
setFlagsFromString('--expose-gc');
/** A full collection, for memory readings that should hold only what is still referenced. */
export const gc = runInNewContext('gc') as () => void;

/** A deterministic generator (xorshift32), so a failing case can be replayed from its seed. */
export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}
