/**
 * Server-sent events as they arrive: text in, each complete event's `data` out (the lines joined, as
 * the EventSource spec says). Pieces may split an event, or a line, anywhere.
 */
export class SseReader {
  private pending = '';

  feed(text: string): string[] {
    this.pending += text;
    const events: string[] = [];
    for (;;) {
      const end = /\r?\n\r?\n/.exec(this.pending);
      if (end === null) break;
      const block = this.pending.slice(0, end.index);
      this.pending = this.pending.slice(end.index + end[0].length);
      const data = block
        .split(/\r?\n/)
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(5).replace(/^ /, ''));
      if (data.length > 0) events.push(data.join('\n'));
    }
    return events;
  }

  /** What was left when the stream ended: an event cut off without its blank line. */
  get rest(): string {
    return this.pending.trim();
  }
}
