import type { ServerResponse } from 'node:http';
import type { FinalResult, Segment } from '#gen/callscribe/v1/transcript.js';
import type { HttpFailure } from './http-status.js';
import { openAiError } from './openai-errors.js';
import { diarizedSegment, durationUsage, transcriptText } from './openai-formats.js';

/**
 * `stream=true`: OpenAI's server-sent events, one per final segment as the gateway receives it
 * (`transcript.text.delta`, or `transcript.text.segment` for diarized_json), then
 * `transcript.text.done` with the whole text. The headers go out with the first event, so a request
 * refused before any segment still gets its plain 4xx.
 */
export class OpenAiEventStream {
  private sent = 0;

  constructor(
    private readonly res: ServerResponse,
    private readonly diarized: boolean,
  ) {}

  get started(): boolean {
    return this.res.headersSent;
  }

  private write(event: unknown): void {
    if (this.res.destroyed) return;
    if (!this.res.headersSent)
      this.res.writeHead(200, {
        'Content-Type': 'text/event-stream; charset=utf-8',
        'Cache-Control': 'no-cache',
        Connection: 'keep-alive',
      });
    this.res.write(`data: ${JSON.stringify(event)}\n\n`);
  }

  /** Each segment once, in order; the deltas joined are the done event's text. */
  segment(segment: Segment): void {
    const index = this.sent++;
    if (this.diarized) this.write(diarizedSegment(segment, index));
    else this.write({ type: 'transcript.text.delta', delta: `${index > 0 ? ' ' : ''}${segment.text.trim()}` });
  }

  /** Sends the segments not sent yet (those known only at the end), then the done event, and ends. */
  done(segments: readonly Segment[], final: FinalResult): void {
    for (const s of segments.slice(this.sent)) this.segment(s);
    this.write({ type: 'transcript.text.done', text: transcriptText(segments), usage: durationUsage(final) });
    this.res.end();
  }

  /** A failure after the first event: an error event (the SDKs raise it as APIError), then the end. */
  fail(failure: HttpFailure): void {
    this.write({ error: openAiError(failure) });
    this.res.end();
  }
}
