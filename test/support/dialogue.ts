import { mkdtempSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildCall, mixDown, type SpeakerTurn } from '#dev/corpus/build-call.js';
import { DIALOGUES, type Turn } from '#dev/corpus/dialogues.js';
import { speak, writeAudio } from '#dev/corpus/espeak.js';

/** The corpus's first call: agent and customer, six turns. */
export const TWO_SPEAKERS: Turn[] = DIALOGUES[0] as Turn[];

export interface Dialogue {
  stereo: Buffer;
  mono: Buffer;
  turns: SpeakerTurn[];
  durationSec: number;
}

/** A two-speaker call with known turn times, as 8 kHz mu-law stereo and as a 16 kHz mono mix. */
export async function twoSpeakerDialogue(agentVoice = 'en-us+f2', customerVoice = 'en-us+m3'): Promise<Dialogue> {
  const call = await buildCall(TWO_SPEAKERS, { agentVoice, customerVoice, gapSec: 0.6, leadSec: 1, holdSec: 3 });
  const dir = mkdtempSync(join(tmpdir(), 'callscribe-dialogue-'));
  await writeAudio(
    join(dir, 's.wav'),
    [call.agent, call.customer],
    ['-t', 'wav', '-r', '8000', '-e', 'mu-law', '-c', '2'],
  );
  await writeAudio(
    join(dir, 'm.wav'),
    [mixDown(call)],
    ['-t', 'wav', '-r', '16000', '-e', 'signed-integer', '-b', '16', '-c', '1'],
  );
  return {
    stereo: await readFile(join(dir, 's.wav')),
    mono: await readFile(join(dir, 'm.wav')),
    turns: call.turns,
    durationSec: call.durationSec,
  };
}

/** Three voices taking turns on one track, each line placed after the last with a 0.6 s gap. */
export async function threeSpeakerMono(): Promise<{ mono: Buffer; turns: SpeakerTurn[] }> {
  const lines: Array<[string, string]> = [
    ['agent', 'Thank you for calling, how can I help you today?'],
    ['customer', 'I would like to change the address on my account.'],
    ['supervisor', 'Hello, this is the supervisor speaking. What seems to be the problem?'],
    ['agent', 'Let me transfer you to my supervisor, one moment please.'],
    ['customer', 'I moved last month and my letters still go to the old address.'],
    ['supervisor', 'I can change that for you right now.'],
  ];
  const voices: Record<string, string> = { agent: 'en-us+f4', customer: 'en-us+m1', supervisor: 'en-us+f3' };
  const pieces = await Promise.all(lines.map(([who, text]) => speak(text, voices[who])));
  const trimmed = pieces.map(trim);
  const gap = Math.round(0.6 * 16000);
  const total = trimmed.reduce((n, p) => n + p.length + gap, 8000);
  const mono = new Float32Array(total);
  const turns: SpeakerTurn[] = [];
  let at = 8000;
  trimmed.forEach((p, i) => {
    mono.set(p, at);
    turns.push({ speaker: lines[i]?.[0] as string, startSec: at / 16000, endSec: (at + p.length) / 16000 });
    at += p.length + gap;
  });
  const dir = mkdtempSync(join(tmpdir(), 'callscribe-three-'));
  await writeAudio(
    join(dir, 'm.wav'),
    [mono],
    ['-t', 'wav', '-r', '16000', '-e', 'signed-integer', '-b', '16', '-c', '1'],
  );
  return { mono: await readFile(join(dir, 'm.wav')), turns };
}

function trim(x: Float32Array): Float32Array {
  let a = 0;
  while (a < x.length && Math.abs(x[a] as number) < 0.01) a++;
  let b = x.length;
  while (b > a && Math.abs(x[b - 1] as number) < 0.01) b--;
  return x.subarray(Math.max(0, a - 160), Math.min(x.length, b + 160));
}
