/** A progress line on a TTY (redrawn in place), or a line every few seconds when piped. */
export function createProgress(
  label: string,
  total: number,
  stream: NodeJS.WriteStream = process.stderr,
): { tick(detail?: string): void; done(summary: string): void } {
  let count = 0;
  let lastLine = 0;
  const render = (detail: string) => {
    const width = 24;
    const filled = total === 0 ? width : Math.round((count / total) * width);
    return `${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${count}/${total} ${detail}`;
  };
  return {
    tick(detail = '') {
      count++;
      if (stream.isTTY === true) stream.write(`\r${render(detail)}\x1b[K`);
      else if (Date.now() - lastLine > 5000 || count === total) {
        lastLine = Date.now();
        stream.write(render(detail) + '\n');
      }
    },
    done(summary) {
      stream.write(`${stream.isTTY === true ? '\r\x1b[K' : ''}${label}: ${summary}\n`);
    },
  };
}

/** Runs fn over items with at most `limit` at once, in order of start. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      for (let i = next++; i < items.length; i = next++) results[i] = await fn(items[i] as T);
    }),
  );
  return results;
}
