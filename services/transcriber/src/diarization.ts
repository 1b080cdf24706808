import { DiarizationMode, type AudioStreamRequest } from '../../../gen/callscribe/v1/audio.js';
import type { Diarization, SpeakerTurn } from '../../../gen/callscribe/v1/diarization.js';
import { channelLabel } from '../../common/src/channel-labels.js';
import { unavailable } from '../../common/src/service-error.js';
import { audioOf, expectConfig } from '../../common/src/validate-config.js';
import { AudioIntake } from './audio-intake.js';
import { TARGET_RATE_HZ } from './resampler.js';
import { bridgeTurns } from './speaker-turns.js';
import { SpeechRegionTracker, type SpeechRegion, type SpeechRegionOptions } from './speech-regions.js';
import type { VadScheduler, VadStream } from './vad-scheduler.js';
import type { WorkerPool } from './worker-pool.js';

export interface DiarizeDeps {
  vad: VadScheduler;
  /** Undefined when the transcriber runs without a diarizer (--diarizer none). */
  diarizers: WorkerPool | undefined;
  regions: SpeechRegionOptions;
  ffmpegPath: string | undefined;
  maxAudioBytes: number;
}

interface Track {
  vad: VadStream;
  regions: SpeechRegion[];
  done: Promise<void>;
  /** The whole mix, kept for a clustering diarizer, which needs every turn at once. */
  kept: Float32Array[];
}

const sec = (samples: number) => samples / TARGET_RATE_HZ;

/**
 * One Diarize call. A recording whose channels differ is diarized by channel, exactly and almost for
 * free (the speech regions of each channel are its speaker's turns). Otherwise the mix goes to the
 * diarizer backend with the VAD's speech regions, in one call per recording.
 */
export async function diarize(requests: AsyncIterable<AudioStreamRequest>, deps: DiarizeDeps, signal: AbortSignal): Promise<Diarization> {
  const startedAt = performance.now();
  const iterator = requests[Symbol.asyncIterator]();
  const config = expectConfig(await iterator.next());
  const tracks: Track[] = [];
  const intake = new AudioIntake(config.format, deps, config.diarization === DiarizationMode.CLUSTER ? 'mix' : 'channels', (count) => {
    for (let c = 0; c < count; c++) {
      const regions: SpeechRegion[] = [];
      const tracker = new SpeechRegionTracker(deps.regions, (r) => regions.push(r));
      let finish!: () => void;
      let fail!: (e: unknown) => void;
      const done = new Promise<void>((resolve, reject) => ((finish = resolve), (fail = reject)));
      const vad: VadStream = deps.vad.openStream({
        onProbs: (first, probs) => {
          tracker.push(first, probs);
          vad.audio.discardBefore(deps.vad.lowWatermark(vad));
        },
        onDone: () => {
          tracker.end(vad.audio.length);
          finish();
        },
        onError: fail,
      });
      tracks.push({ vad, regions, done, kept: [] });
    }
    return tracks.map((t) => ({
      push: (samples: Float32Array) => {
        if (tracks.length === 1) t.kept.push(samples);
        t.vad.push(samples);
      },
    }));
  });
  const abort = () => {
    for (const t of tracks) deps.vad.drop(t.vad);
  };
  signal.addEventListener('abort', abort, { once: true });
  try {
    let index = 1;
    for await (const message of { [Symbol.asyncIterator]: () => iterator }) {
      const bytes = audioOf(message, index++);
      if (bytes.length > 0) await intake.write(bytes);
    }
    await intake.end();
    for (const t of tracks) t.vad.end();
    await Promise.all(tracks.map((t) => t.done));
    const base = {
      audioDurationSec: sec(tracks[0]?.vad.audio.length ?? 0),
      decodeMs: intake.decodeMs,
      vadMs: tracks.reduce((n, t) => n + t.vad.busyMs, 0),
    };
    if (tracks.length > 1) {
      const turns: SpeakerTurn[] = bridgeTurns(tracks.flatMap((t, c) => t.regions.map((r) => ({ startSec: sec(r.start), endSec: sec(r.end), speaker: channelLabel(config, c) }))));
      const speakers = tracks.map((_, c) => channelLabel(config, c)).filter((s) => turns.some((t) => t.speaker === s));
      return { ...base, turns, speakers, numSpeakers: speakers.length, mode: 'CHANNELS', backend: 'channels', diarizeMs: 0, totalMs: performance.now() - startedAt };
    }
    const track = tracks[0] as Track;
    const pool = deps.diarizers;
    if (track.regions.length === 0) return { ...base, turns: [], speakers: [], numSpeakers: 0, mode: 'CLUSTER', backend: pool?.engine?.backend ?? 'none', diarizeMs: 0, totalMs: performance.now() - startedAt };
    if (pool === undefined) throw unavailable('this transcriber runs without a diarizer (--diarizer none); mono audio cannot be diarized here');
    const audio = new Float32Array(track.kept.reduce((n, k) => n + k.length, 0));
    let at = 0;
    for (const k of track.kept) {
      audio.set(k, at);
      at += k.length;
    }
    const slot = await pool.acquire(signal);
    const result = await pool.use(slot, (proc) =>
      proc.diarize(audio, track.regions.map((r) => [sec(r.start), sec(r.end)]), config.minSpeakers, config.maxSpeakers),
    );
    const turns = bridgeTurns(result.turns.map((t) => ({ startSec: t.start, endSec: t.end, speaker: t.speaker })));
    const speakers = [...new Set(turns.map((t) => t.speaker))];
    return { ...base, turns, speakers, numSpeakers: speakers.length, mode: 'CLUSTER', backend: pool.engine?.backend ?? '', diarizeMs: result.elapsedMs, totalMs: performance.now() - startedAt };
  } finally {
    signal.removeEventListener('abort', abort);
    void iterator.return?.();
    intake.dispose();
  }
}
