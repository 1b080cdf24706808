import type { Segment } from '#gen/callscribe/v1/transcript.js';
import type { TrackEvent } from './chunk-transcription.js';

interface TrackState {
  iterator: AsyncIterator<TrackEvent>;
  next: Promise<{ index: number; result: IteratorResult<TrackEvent> }> | undefined;
  ready: Segment[];
  settledSec: number;
  done: boolean;
}

/**
 * Merges the tracks of one request (one per channel, or just the mix) into one stream in time order.
 * A segment goes out as soon as no track can still produce an earlier one: every other track either
 * has a later segment waiting or is settled past this one's start. A silent channel therefore does
 * not hold the other back.
 */
export async function* mergeByTime(tracks: Array<AsyncIterable<TrackEvent>>): AsyncGenerator<Segment> {
  const states: TrackState[] = tracks.map((t) => ({
    iterator: t[Symbol.asyncIterator](),
    next: undefined,
    ready: [],
    settledSec: 0,
    done: false,
  }));
  try {
    for (;;) {
      yield* releasable(states);
      const live = states.filter((s) => !s.done);
      if (live.length === 0) return;
      for (const [index, s] of states.entries())
        if (!s.done) s.next ??= s.iterator.next().then((result) => ({ index, result }));
      const { index, result } = await Promise.race(live.map((s) => s.next as NonNullable<TrackState['next']>));
      const state = states[index] as TrackState;
      state.next = undefined;
      if (result.done === true) {
        state.done = true;
        state.settledSec = Infinity;
      } else if (result.value.kind === 'settled') state.settledSec = result.value.sec;
      else state.ready.push(...result.value.segments);
    }
  } finally {
    // A track still being waited on may fail later (its request is being torn down): nobody listens.
    for (const s of states) {
      s.next?.catch(() => {});
      if (!s.done) s.iterator.return?.().catch(() => {});
    }
  }
}

function* releasable(states: TrackState[]): Generator<Segment> {
  for (;;) {
    let best: TrackState | undefined;
    for (const s of states) {
      const head = s.ready[0];
      if (head !== undefined && (best === undefined || head.startSec < (best.ready[0] as Segment).startSec)) best = s;
    }
    const head = best?.ready[0];
    if (best === undefined || head === undefined) return;
    if (states.some((s) => s !== best && s.ready.length === 0 && s.settledSec < head.startSec)) return;
    best.ready.shift();
    yield head;
  }
}
