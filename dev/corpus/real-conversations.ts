import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SpeakerTurn } from './build-call.js';
import { writeRecording } from './write-recording.js';
import { loadVoice, phrases, readers, voicesDir, type Reader } from './real-voices.js';
import { seededRandom } from '../../loadgen/src/run/schedule.js';

const RATE = 16000;

/** A telephone-band conversation of real readers (dev/corpus/real-voices.ts), with its reference. */
export interface RealConversation {
  id: string;
  split: 'dev' | 'test';
  speakers: number;
  sameSex: boolean;
  /** LibriSpeech reader ids, speaker S0, S1, ... */
  readers: string[];
  durationSec: number;
  turns: SpeakerTurn[];
  /** 8 kHz mu-law WAV under the set's folder. */
  wav: string;
}

export type ConversationSplit = 'train' | 'dev' | 'test';

/**
 * Per 40: 28 two-speaker calls (half same-sex), 6 with three, 6 monologues. dev and test have 40 each;
 * train, read only by the scripts that learn or calibrate (dev/train-speaker-embedding.py), as many
 * forties as asked, so a count rule is fitted on hundreds of train-reader calls, not on 40 dev ones.
 */
function plan(
  split: ConversationSplit,
  count = 40,
  extra = false,
): Array<{ speakers: number; sameSex: boolean; seed: number }> {
  // Extra calibration calls of the dev readers take seeds no scored dev call has.
  const base = extra ? 7000 : split === 'train' ? 4000 : split === 'dev' ? 5000 : 6000;
  const out = [];
  for (let i = 0; i < count; i++) {
    const j = i % 40;
    const speakers = j < 28 ? 2 : j < 34 ? 3 : 1;
    out.push({ speakers, sameSex: i % 2 === 0, seed: base + i });
  }
  return out;
}

interface Voice {
  audio: Float32Array;
  phrases: Array<[number, number]>;
  /** Next phrase to speak: each turn goes on where the reader's last one stopped, wrapping round. */
  next: number;
}

/**
 * A turn of 3-18 s: the reader's phrases in order with their own pauses shortened to 0.1-0.4 s.
 * Each phrase is one reference segment, so a pause inside a turn is not scored as speech.
 */
function speakTurn(v: Voice, rand: () => number): Array<{ at: number; audio: Float32Array }> {
  const target = (3 + rand() * 15) * RATE;
  const out: Array<{ at: number; audio: Float32Array }> = [];
  let at = 0;
  while (at < target) {
    const [a, b] = v.phrases[v.next % v.phrases.length] as [number, number];
    v.next++;
    out.push({ at, audio: v.audio.subarray(a, b) });
    at += b - a + Math.round((0.1 + rand() * 0.3) * RATE);
  }
  return out;
}

function cast(pool: Reader[], count: number, sameSex: boolean, rand: () => number): Reader[] {
  const first: 'F' | 'M' = rand() < 0.5 ? 'F' : 'M';
  const chosen: Reader[] = [];
  for (let i = 0; i < count; i++) {
    const sex = sameSex || i % 2 === 0 ? first : first === 'F' ? 'M' : 'F';
    const left = pool.filter((r) => r.sex === sex && !chosen.includes(r));
    chosen.push(left[Math.floor(rand() * left.length)] as Reader);
  }
  return chosen;
}

/** A conversation of the train readers: calibration only, never in the scored set. */
export type TrainConversation = Omit<RealConversation, 'split'> & { split: 'train' };

async function generate<S extends ConversationSplit>(
  voices: string,
  dir: string,
  split: S,
  pool: Reader[],
  item: ReturnType<typeof plan>[number],
): Promise<Omit<RealConversation, 'split'> & { split: S }> {
  const rand = seededRandom(item.seed);
  const cast_ = cast(pool, item.speakers, item.sameSex, rand);
  const people: Voice[] = [];
  for (const r of cast_) {
    const audio = await loadVoice(voices, r);
    const ph = phrases(audio);
    people.push({ audio, phrases: ph, next: Math.floor(rand() * ph.length) });
  }
  const gains = people.map(() => 0.6 + rand() * 0.4);
  const placed: Array<{ speaker: number; at: number; audio: Float32Array }> = [];
  let cursor = Math.round((0.3 + rand() * 0.5) * RATE);
  let speaker = 0;
  const targetSec = 40;
  // Past 40 s only until every speaker cast has spoken: a "three-speaker" call where the third never
  // got a turn would be scored against a count its audio does not hold (v1 had 4 such calls of 6 in
  // the test split). Calls where everyone spoke by 40 s come out as before.
  const spoken = new Set<number>();
  while (cursor < targetSec * RATE || spoken.size < people.length) {
    spoken.add(speaker);
    const turn = speakTurn(people[speaker] as Voice, rand);
    for (const p of turn) placed.push({ speaker, at: cursor + p.at, audio: p.audio });
    const last = turn[turn.length - 1] as { at: number; audio: Float32Array };
    const end = cursor + last.at + last.audio.length;
    const previous = speaker;
    if (people.length > 1) speaker = (previous + 1 + Math.floor(rand() * (people.length - 1))) % people.length;
    // Mostly a pause of 0.2-0.9 s; one change in six starts 0.2-0.5 s over the end of the last turn.
    const overlap = speaker !== previous && rand() < 1 / 6;
    const gapSec = overlap ? -(0.2 + rand() * 0.3) : 0.2 + rand() * 0.7;
    cursor = end + Math.round(gapSec * RATE);
  }
  const total = Math.max(...placed.map((p) => p.at + p.audio.length)) + Math.round(0.5 * RATE);
  const mix = new Float32Array(total);
  for (const p of placed) {
    const g = gains[p.speaker] as number;
    for (let i = 0; i < p.audio.length; i++) mix[p.at + i] = (mix[p.at + i] as number) + g * (p.audio[i] as number);
  }
  // A line's hiss, 30 dB under the speech.
  for (let i = 0; i < total; i++) mix[i] = (mix[i] as number) + 0.0025 * (rand() * 2 - 1);
  const id = `${item.seed >= 7000 ? 'devx' : split}-${String(item.seed % 1000).padStart(split === 'train' || item.seed >= 7000 ? 3 : 2, '0')}-${item.speakers}spk-${item.sameSex ? 'same' : 'mixed'}`;
  const turns = placed
    .map((p) => ({ speaker: `S${p.speaker}`, startSec: p.at / RATE, endSec: (p.at + p.audio.length) / RATE }))
    .sort((a, b) => a.startSec - b.startSec);
  await writeRecording(dir, id, mix, 'phone', turns);
  return {
    id,
    split,
    speakers: item.speakers,
    sameSex: item.sameSex || item.speakers === 1,
    readers: cast_.map((r) => r.id),
    durationSec: total / RATE,
    turns,
    wav: `${id}.wav`,
  };
}

const VERSION = 'real-conversations-v2';

/**
 * The real-voice conversation set, generated once into `dir` from the readers' folder and reused; null
 * when the folder is not there. Dev and test conversations use only their own split's readers.
 */
export async function ensureRealConversations(
  dir: string,
  log: (m: string) => void = () => {},
  voices = voicesDir(),
  splits: ReadonlyArray<'dev' | 'test'> = ['dev', 'test'],
): Promise<RealConversation[] | null> {
  const all = await readers(voices);
  if (all === null) return null;
  const manifest = join(dir, 'manifest.json');
  try {
    const saved = JSON.parse(await readFile(manifest, 'utf8')) as { version: string; items: RealConversation[] };
    await access(join(dir, saved.items[0]?.wav ?? 'none'));
    if (saved.version === VERSION) return saved.items.filter((c) => splits.includes(c.split));
  } catch {
    // not generated yet
  }
  log(`generating the real-voice conversation set in ${dir} from ${voices}...`);
  await mkdir(dir, { recursive: true });
  const items: RealConversation[] = [];
  for (const split of ['dev', 'test'] as const)
    for (const item of plan(split))
      items.push(
        await generate(
          voices,
          dir,
          split,
          all.filter((r) => r.split === split),
          item,
        ),
      );
  await writeFile(join(dir, 'readers.json'), JSON.stringify(all, null, 1));
  await writeFile(manifest, JSON.stringify({ version: VERSION, items }, null, 1));
  return items.filter((c) => splits.includes(c.split));
}

/** A few conversations of the dev split (by position in its plan), written into `dir`: a smoke run's set. */
export async function writeRealConversations(
  dir: string,
  picks: number[],
  voices = voicesDir(),
): Promise<RealConversation[] | null> {
  const all = await readers(voices);
  if (all === null) return null;
  await mkdir(dir, { recursive: true });
  const pool = all.filter((r) => r.split === 'dev');
  const items: RealConversation[] = [];
  for (const i of picks) {
    const item = plan('dev')[i];
    if (item === undefined) throw new RangeError(`the dev split has ${plan('dev').length} conversations, not ${i + 1}`);
    items.push(await generate(voices, dir, 'dev', pool, item));
  }
  return items;
}

/**
 * `count` calibration conversations with a manifest.json of them in `dir`, never scored by the bench:
 * of the train readers (the readers the speaker embedding learns from), or of the dev readers with
 * seeds no scored dev call uses (a rule's constants are fitted on these, on readers the network never
 * heard, and checked on the 40 scored dev calls).
 */
export async function writeCalibrationConversations(
  dir: string,
  split: 'train' | 'dev',
  count: number,
  log: (m: string) => void = () => {},
  voices = voicesDir(),
): Promise<Array<TrainConversation | RealConversation> | null> {
  const all = await readers(voices);
  if (all === null) return null;
  await mkdir(dir, { recursive: true });
  const pool = all.filter((r) => r.split === split);
  const items: Array<TrainConversation | RealConversation> = [];
  for (const item of plan(split, count, split === 'dev')) {
    items.push(await generate(voices, dir, split, pool, item));
    if (items.length % 20 === 0) log(`${items.length}/${count} train conversations`);
  }
  await writeFile(join(dir, 'readers.json'), JSON.stringify(all, null, 1));
  await writeFile(join(dir, 'manifest.json'), JSON.stringify({ version: VERSION, items }, null, 1));
  return items;
}
