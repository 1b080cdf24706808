import type { Segment } from '#gen/callscribe/v1/transcript.js';
import { clock, formatSegment } from '#client/format.js';

/** A segment as the terminal shows it; with word timestamps, one indented line per word beneath it. */
export function segmentText(s: Segment, words: boolean): string {
  const lines = [formatSegment(s)];
  if (words)
    for (const w of s.words)
      lines.push(
        `    ${clock(w.startSec)} - ${clock(w.endSec)}  ${w.text.trim()}${w.confidence > 0 ? ` (${w.confidence.toFixed(2)})` : ''}`,
      );
  return lines.join('\n');
}
