import { speak } from './espeak.js';
import type { Turn } from './dialogues.js';

const RATE = 16000;

export interface SpeakerTurn {
  speaker: string;
  startSec: number;
  endSec: number;
}

export interface SyntheticCall {
  /** One 16 kHz track per speaker role: [agent, customer]. */
  agent: Float32Array;
  customer: Float32Array;
  turns: SpeakerTurn[];
  reference: string;
  durationSec: number;
}

export interface CallOptions {
  agentVoice: string;
  customerVoice: string;
  gapSec: number;
  /** Silence at the start, like a ring or a greeting delay. */
  leadSec: number;
  /** A stretch of silence in the middle (hold), where VAD saves the engine's time. */
  holdSec: number;
}

/** Speaks a dialogue turn by turn onto two tracks, recording exactly when each speaker talks. */
export async function buildCall(dialogue: Turn[], options: CallOptions): Promise<SyntheticCall> {
  const pieces: Array<{ turn: Turn; audio: Float32Array; start: number }> = [];
  let cursor = Math.round(options.leadSec * RATE);
  for (const [i, turn] of dialogue.entries()) {
    const audio = await speak(turn.text, turn.speaker === 'agent' ? options.agentVoice : options.customerVoice);
    // espeak pads each utterance with silence; the turn is where the voice is, not the padding.
    const { first, last } = voicedBounds(audio);
    pieces.push({ turn, audio: audio.subarray(first, last), start: cursor });
    cursor += last - first + Math.round(options.gapSec * RATE);
    if (i === Math.floor(dialogue.length / 2) - 1) cursor += Math.round(options.holdSec * RATE);
  }
  const total = cursor + Math.round(0.5 * RATE);
  const agent = new Float32Array(total);
  const customer = new Float32Array(total);
  const turns: SpeakerTurn[] = [];
  for (const p of pieces) {
    (p.turn.speaker === 'agent' ? agent : customer).set(p.audio, p.start);
    turns.push({ speaker: p.turn.speaker, startSec: p.start / RATE, endSec: (p.start + p.audio.length) / RATE });
  }
  return { agent, customer, turns, reference: dialogue.map((t) => t.text).join(' '), durationSec: total / RATE };
}

function voicedBounds(x: Float32Array, threshold = 0.01): { first: number; last: number } {
  let first = 0;
  while (first < x.length && Math.abs(x[first] as number) < threshold) first++;
  let last = x.length;
  while (last > first && Math.abs(x[last - 1] as number) < threshold) last--;
  return { first: Math.max(0, first - 160), last: Math.min(x.length, last + 160) };
}

export function mixDown(call: SyntheticCall): Float32Array {
  const out = new Float32Array(call.agent.length);
  for (let i = 0; i < out.length; i++) out[i] = ((call.agent[i] as number) + (call.customer[i] as number)) * 0.7;
  return out;
}

/** NIST RTTM, one SPEAKER line per turn. */
export function toRttm(fileId: string, turns: SpeakerTurn[]): string {
  return turns
    .map(
      (t) =>
        `SPEAKER ${fileId} 1 ${t.startSec.toFixed(3)} ${(t.endSec - t.startSec).toFixed(3)} <NA> <NA> ${t.speaker} <NA> <NA>\n`,
    )
    .join('');
}
