import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SpeakerTurn } from './build-call.js';
import { BACKCHANNELS, LINES, VOICE_POOLS, type VoiceSpec } from './conversation-lines.js';
import { run } from './espeak.js';
import { seededRandom } from '../../loadgen/src/run/schedule.js';
import { type Channel, writeRecording } from './write-recording.js';

const RATE = 16000;

/** How a conversation was recorded: the channel a real call or meeting would have gone through. */
export type { Channel };

export interface Conversation {
  id: string;
  split: 'dev' | 'test';
  speakers: number;
  channel: Channel;
  /** Who speaks: espeak-ng voice, pitch and speed per speaker (S0, S1, ...). */
  voices: VoiceSpec[];
  durationSec: number;
  turns: SpeakerTurn[];
  /** The file under the set's folder: a 16 kHz WAV, or 8 kHz mu-law for 'phone'. */
  wav: string;
}

async function speakAs(text: string, v: VoiceSpec): Promise<Float32Array> {
  const wav = await run('espeak-ng', [
    '-v',
    v.voice,
    '-p',
    String(v.pitch),
    '-s',
    String(v.wordsPerMinute),
    '--stdout',
    text,
  ]);
  const pcm = await run('sox', ['-t', 'wav', '-', '-t', 'f32', '-r', '16000', '-c', '1', '-'], wav);
  const x = new Float32Array(pcm.buffer.slice(pcm.byteOffset, pcm.byteOffset + pcm.byteLength));
  // The reference turn is where the voice is, not espeak's padding.
  let first = 0;
  while (first < x.length && Math.abs(x[first] as number) < 0.01) first++;
  let last = x.length;
  while (last > first && Math.abs(x[last - 1] as number) < 0.01) last--;
  return x.subarray(Math.max(0, first - 80), Math.min(x.length, last + 80));
}

/** Speakers for one conversation: same sex for most, pitches close together for some. */
function castVoices(split: 'dev' | 'test', count: number, rand: () => number): VoiceSpec[] {
  const pool = VOICE_POOLS[split];
  const sameSex = rand() < 0.7;
  const firstSex = rand() < 0.5 ? 'female' : 'male';
  const basePitch = 30 + Math.floor(rand() * 40);
  const closePitch = rand() < 0.5;
  const used = new Set<string>();
  return Array.from({ length: count }, (_, i) => {
    const sex = sameSex || i % 2 === 0 ? firstSex : firstSex === 'female' ? 'male' : 'female';
    const names = pool[sex].filter((n) => !used.has(n));
    const name = names[Math.floor(rand() * names.length)] as string;
    used.add(name);
    return {
      voice: `en-us+${name}`,
      pitch: closePitch ? basePitch + Math.floor(rand() * 9) - 4 : 20 + Math.floor(rand() * 60),
      wordsPerMinute: 140 + Math.floor(rand() * 60),
    };
  });
}

interface Placed {
  speaker: number;
  startSample: number;
  audio: Float32Array;
}

/**
 * About `targetSec` of talk: turns of one or two clauses; the next speaker starts after a short
 * pause, with no pause at all, or over the end of the last turn (0.2-1 s of overlap); listeners
 * drop in backchannels under a second, often over the speaker.
 */
async function converse(voices: VoiceSpec[], targetSec: number, rand: () => number): Promise<Placed[]> {
  const placed: Placed[] = [];
  let cursor = Math.round((0.3 + rand() * 0.7) * RATE);
  let speaker = 0;
  let previous = -1;
  while (cursor < targetSec * RATE) {
    const clauses = 1 + (rand() < 0.4 ? 1 : 0);
    const text = Array.from({ length: clauses }, () => LINES[Math.floor(rand() * LINES.length)]).join(' ');
    const audio = await speakAs(text, voices[speaker] as VoiceSpec);
    placed.push({ speaker, startSample: cursor, audio });
    if (voices.length > 1 && rand() < 0.35 && audio.length > 1.5 * RATE) {
      const listener = (speaker + 1 + Math.floor(rand() * (voices.length - 1))) % voices.length;
      const word = BACKCHANNELS[Math.floor(rand() * BACKCHANNELS.length)] as string;
      const back = await speakAs(word, voices[listener] as VoiceSpec);
      const at = cursor + Math.round((0.3 + rand() * 0.5) * (audio.length - back.length));
      placed.push({ speaker: listener, startSample: at, audio: back });
    }
    previous = speaker;
    if (voices.length > 1) {
      // A speaker sometimes goes on after a pause; mostly the floor changes hands.
      speaker = rand() < 0.2 ? previous : (previous + 1 + Math.floor(rand() * (voices.length - 1))) % voices.length;
    }
    const end = cursor + audio.length;
    const r = rand();
    // Only a new speaker can talk over the last one, or take over with no pause at all.
    const gapSec =
      speaker === previous ? 0.15 + rand() * 0.5 : r < 0.2 ? -(0.2 + rand() * 0.8) : r < 0.5 ? 0 : 0.05 + rand() * 0.5;
    cursor = Math.max(end - Math.round(0.5 * audio.length), end + Math.round(gapSec * RATE));
  }
  return placed;
}

/** Room noise: low-passed noise plus a faint hum, from the same seeded generator. */
function addNoise(x: Float32Array, snrDb: number, rand: () => number): void {
  let power = 0;
  for (const v of x) power += v * v;
  const level = Math.sqrt(power / x.length / 10 ** (snrDb / 10));
  let lp = 0;
  const noise = new Float32Array(x.length);
  let np = 0;
  for (let i = 0; i < x.length; i++) {
    lp = 0.9 * lp + 0.1 * (rand() * 2 - 1);
    noise[i] = lp + 0.3 * Math.sin((2 * Math.PI * 50 * i) / RATE) * 0.05;
    np += (noise[i] as number) ** 2;
  }
  const g = level / Math.sqrt(np / x.length + 1e-12);
  for (let i = 0; i < x.length; i++) x[i] = (x[i] as number) + g * (noise[i] as number);
}

/** The plan of one split: mostly two speakers, some three, some one, across the three channels. */
function plan(
  split: 'dev' | 'test',
  count = 20,
  extra = false,
): Array<{ speakers: number; channel: Channel; seed: number }> {
  // Extra calibration calls of the dev pool's voices take seeds no scored call uses.
  const base = extra ? 3000 : split === 'dev' ? 1000 : 2000;
  const counts = [2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 1, 1, 1];
  const channels: Channel[] = ['wide', 'phone', 'room'];
  return Array.from({ length: count }, (_, i) => ({
    speakers: counts[i % counts.length] as number,
    channel: channels[i % 3] as Channel,
    seed: base + i,
  }));
}

async function generate(
  dir: string,
  split: 'dev' | 'test',
  item: ReturnType<typeof plan>[number],
): Promise<Conversation> {
  const rand = seededRandom(item.seed);
  const voices = castVoices(split, item.speakers, rand);
  const placed = await converse(voices, 28, rand);
  const total = Math.max(...placed.map((p) => p.startSample + p.audio.length)) + Math.round(0.5 * RATE);
  const mix = new Float32Array(total);
  const gains = voices.map(() => 0.35 + rand() * 0.3);
  for (const p of placed) {
    const g = gains[p.speaker] as number;
    for (let i = 0; i < p.audio.length; i++)
      mix[p.startSample + i] = (mix[p.startSample + i] as number) + g * (p.audio[i] as number);
  }
  addNoise(mix, item.channel === 'wide' ? 30 : 18, rand);
  const id = `${item.seed >= 3000 ? 'devx' : split}-${String(item.seed % 1000).padStart(item.seed >= 3000 ? 3 : 2, '0')}-${item.speakers}spk-${item.channel}`;
  const turns = placed
    .map((p) => ({
      speaker: `S${p.speaker}`,
      startSec: p.startSample / RATE,
      endSec: (p.startSample + p.audio.length) / RATE,
    }))
    .sort((a, b) => a.startSec - b.startSec);
  await writeRecording(dir, id, mix, item.channel, turns);
  return {
    id,
    split,
    speakers: item.speakers,
    channel: item.channel,
    voices,
    durationSec: total / RATE,
    turns,
    wav: `${id}.wav`,
  };
}

const VERSION = 'conversations-v3';

/** One conversation of the set, by split and position (0-19), written into `dir`. */
export function writeConversation(dir: string, split: 'dev' | 'test', index: number): Promise<Conversation> {
  const item = plan(split)[index];
  if (item === undefined)
    throw new RangeError(`the ${split} split has ${plan(split).length} conversations, not ${index + 1}`);
  return mkdir(dir, { recursive: true }).then(() => generate(dir, split, item));
}

/**
 * The diarization evaluation set, generated once into `dir` (espeak-ng and sox are deterministic)
 * and reused: a dev split to tune on and a held-out test split with other voices and seeds.
 */
export async function ensureConversations(dir: string, log: (m: string) => void = () => {}): Promise<Conversation[]> {
  const manifest = join(dir, 'manifest.json');
  try {
    await access(manifest);
    const saved = JSON.parse(await readFile(manifest, 'utf8')) as { version: string; items: Conversation[] };
    if (saved.version === VERSION) return saved.items;
  } catch {
    // not generated yet
  }
  log(`generating the diarization conversation set in ${dir} (espeak-ng voices, sox effects)...`);
  await mkdir(dir, { recursive: true });
  const items: Conversation[] = [];
  for (const split of ['dev', 'test'] as const)
    for (const item of plan(split)) items.push(await generate(dir, split, item));
  await writeFile(manifest, JSON.stringify({ version: VERSION, items }, null, 1));
  return items;
}

/**
 * `count` calibration conversations of the dev pool's voices with seeds the scored calls do not use,
 * and a manifest.json of them, in `dir` (dev/fit-embedding-space.py fits on them; never scored).
 */
export async function writeCalibrationConversations(dir: string, count: number): Promise<Conversation[]> {
  await mkdir(dir, { recursive: true });
  const items: Conversation[] = [];
  for (const item of plan('dev', count, true)) items.push(await generate(dir, 'dev', item));
  await writeFile(join(dir, 'manifest.json'), JSON.stringify({ version: VERSION, items }, null, 1));
  return items;
}
