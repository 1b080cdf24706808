import type { Segment } from '#gen/callscribe/v1/transcript.js';
import { chunkTimeToSource, pieceIndexAt, type SpeechChunk } from './chunker.js';
import type { WorkerSegment } from '../engine/worker-process.js';

/** Who a track's segments belong to: "" and channel 0 when one track carries every voice. */
export interface TrackSpeaker {
  speaker: string;
  channel: number;
}

/**
 * Maps an engine's segments for one chunk back to source time. A chunk joins several speech
 * regions, so the pauses an engine would split on are gone; words are regrouped at region
 * boundaries instead.
 */
export function chunkSegments(
  chunk: SpeechChunk,
  segments: WorkerSegment[],
  owner: TrackSpeaker,
  aligned = true,
): Segment[] {
  const at = (t: number) => chunkTimeToSource(chunk, t);
  const make = (start: number, end: number, text: string, words: WorkerSegment['words']): Segment => ({
    startSec: at(start),
    endSec: at(end),
    text,
    words: words.map((w) => ({
      text: w.text,
      startSec: at(w.start),
      endSec: at(w.end),
      confidence: w.confidence,
      speaker: owner.speaker,
    })),
    speaker: owner.speaker,
    channel: owner.channel,
    unaligned: !aligned,
  });
  const out: Segment[] = [];
  for (const s of segments) {
    const groups: Array<WorkerSegment['words']> = [];
    let piece = -1;
    for (const w of s.words) {
      const p = pieceIndexAt(chunk, (w.start + w.end) / 2);
      if (p !== piece || groups.length === 0) groups.push([]);
      piece = p;
      groups[groups.length - 1]?.push(w);
    }
    if (groups.length <= 1) out.push(make(s.start, s.end, s.text, s.words));
    else
      for (const words of groups) {
        const first = words[0];
        const last = words[words.length - 1];
        if (first !== undefined && last !== undefined)
          out.push(make(first.start, last.end, words.map((w) => w.text).join(' '), words));
      }
  }
  return out;
}
