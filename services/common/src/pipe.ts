/** A stage of a data path: consumes one async iterable, produces another (connect-es's shape). */
export type Transform<I, O> = (source: AsyncIterable<I>) => AsyncIterable<O>;

/**
 * Composes stages left to right, so a data path reads in the order data flows through it:
 * `pipe(bytes, decode, detect, chunk)` rather than `chunk(detect(decode(bytes)))`.
 */
export function pipe<A, B>(source: AsyncIterable<A>, t1: Transform<A, B>): AsyncIterable<B>;
export function pipe<A, B, C>(source: AsyncIterable<A>, t1: Transform<A, B>, t2: Transform<B, C>): AsyncIterable<C>;
export function pipe<A, B, C, D>(
  source: AsyncIterable<A>,
  t1: Transform<A, B>,
  t2: Transform<B, C>,
  t3: Transform<C, D>,
): AsyncIterable<D>;
export function pipe(
  source: AsyncIterable<unknown>,
  ...stages: Array<Transform<unknown, unknown>>
): AsyncIterable<unknown> {
  return stages.reduce((upstream, stage) => stage(upstream), source);
}
