import { mkdtempSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { credentials } from '@grpc/grpc-js';
import { DiarizationMode } from '#gen/callscribe/v1/audio.js';
import { GatewayClient } from '#gen/callscribe/v1/gateway.js';
import { run } from '#dev/corpus/espeak.js';
import { ensureCorpus } from '#dev/demo/corpus-cache.js';
import { startLocalStack } from '#dev/local-stack.js';
import { streamAudio } from '#client/stream-audio.js';
import { diarizeInOrder } from './diarize-orders.js';
import { ensureConversations, writeConversation, type Conversation } from '#dev/corpus/conversations.js';
import {
  ensureRealConversations,
  writeRealConversations,
  type RealConversation,
} from '#dev/corpus/real-conversations.js';
import { voicesDir } from '#dev/corpus/real-voices.js';
import { scoreMode, summarise, type Scored } from './diarization-quality.js';
import { separability } from './speaker-separability.js';
import { smokeCall } from './smoke-inputs.js';
import { finished, machine, median, report, setting, sized, SMOKE, table } from './support.js';

/**
 * bench:diarization — (1) the cost of asking for speakers: each sample call with diarization off
 * and on, alternating, through the gateway; (2) ASR and diarization side by side vs one after the
 * other, both driven against the transcriber (bench/diarize-orders.ts); (3) accuracy of the spectral
 * diarizer's modes side by side (legacy, conversation, voices, embedding), through the Diarize RPC, on
 * the generated conversation set (bench/diarization-quality.ts); (4) each mode alone on 10 minutes of
 * that set; (5) how far apart one voice split in two and two real voices are on its features
 * (bench/speaker-separability.ts); (6) every mode on the real-voice set (dev/corpus/real-conversations.ts:
 * LibriSpeech readers in telephone-band conversations, split by reader), when the readers' folder is
 * there: DER, JER, count accuracy and the count's confidence.
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PASSES = setting('PASSES', 2, 1);

// DIARIZATION_PARTS=accuracy runs only (3) to (5): minutes instead of most of an hour on a busy machine.
const ONLY_ACCURACY = process.env['DIARIZATION_PARTS'] === 'accuracy';

/** The sample calls; a smoke run takes a few seconds of two voices in each format instead. */
async function sampleCalls(): Promise<Array<{ name: string; stereo: boolean; bytes: Buffer }>> {
  if (SMOKE)
    return Promise.all(
      (['mono', 'stereo'] as const).map(async (kind) => ({
        name: kind,
        stereo: kind === 'stereo',
        bytes: (await smokeCall(kind)).bytes,
      })),
    );
  const dir = join(tmpdir(), 'callscribe-bench-corpus');
  const names = await ensureCorpus(dir, (m) => process.stderr.write(m + '\n'));
  return Promise.all(
    names.map(async (n) => ({ name: n, stereo: n.includes('stereo'), bytes: await readFile(join(dir, n)) })),
  );
}

/**
 * The conversation set, generated once into /tmp and reused; a smoke run writes just one recording
 * each of one, two and three voices (the separability table needs all three counts).
 */
async function conversationSet(): Promise<{ dir: string; items: Conversation[] }> {
  if (SMOKE) {
    const dir = mkdtempSync(join(tmpdir(), 'callscribe-bench-smoke-conversations-'));
    const items: Conversation[] = [];
    for (const index of [17, 0, 14]) items.push(await writeConversation(dir, 'dev', index));
    return { dir, items };
  }
  const dir = join(tmpdir(), 'callscribe-bench-conversations');
  return { dir, items: await ensureConversations(dir, (msg) => process.stderr.write(msg + '\n')) };
}

/** The real-voice set, or null (and a line saying so) when the readers' folder is not there. */
async function realSet(): Promise<{ dir: string; items: RealConversation[] } | null> {
  const dir = SMOKE
    ? mkdtempSync(join(tmpdir(), 'callscribe-bench-smoke-real-'))
    : join(tmpdir(), 'callscribe-bench-real-conversations');
  const items = SMOKE
    ? await writeRealConversations(dir, [0, 28, 34])
    : await ensureRealConversations(dir, (msg) => process.stderr.write(msg + '\n'));
  if (items === null) {
    report(
      `\nReal-voice set: not scored, ${voicesDir()} is not there (LibriSpeech readers, kept outside the project; set CALLSCRIBE_VOICES_DIR to use another copy). The espeak set above is the whole measurement.\n`,
    );
    return null;
  }
  return { dir, items };
}

/** One row per split and mode: the issue-22 figures (mean DER per recording, JER, count, confidence). */
function realVoiceRows(scored: Record<string, Scored[]>, modes: readonly string[]): Array<Array<string | number>> {
  const f = (x: number) => (Number.isNaN(x) ? '-' : x.toFixed(3));
  const rows = [];
  for (const split of ['dev', 'test'] as const)
    for (const mode of modes) {
      const mine = (scored[mode] ?? []).filter((s) => s.item.split === split);
      if (mine.length === 0) continue;
      const two = summarise(mine.filter((s) => s.item.speakers === 2));
      const three = summarise(mine.filter((s) => s.item.speakers === 3));
      const one = summarise(mine.filter((s) => s.item.speakers === 1));
      const all = summarise(mine);
      rows.push([
        split === 'dev' ? 'dev (tuned on)' : 'test (held out)',
        mode,
        f(two.meanDer25),
        f(two.der25),
        f(two.jer),
        f(all.jer),
        `${all.countRight}/${all.n} (${((100 * all.countRight) / Math.max(1, all.n)).toFixed(0)}%)`,
        `${two.countRight}/${two.n}, ${three.countRight}/${three.n}, ${one.countRight}/${one.n}`,
        `${f(all.confidenceRight)} / ${f(all.confidenceWrong)}`,
      ]);
    }
  return rows;
}

const REAL_HEADERS = [
  'split',
  'spectral mode',
  '2-spk mean DER c=0.25',
  '2-spk pooled DER c=0.25',
  '2-spk JER',
  'all JER',
  'count right',
  'count right 2/3/1 spk',
  'mean confidence: count right / wrong',
];

async function costOfSpeakers(): Promise<void> {
  const audios = await sampleCalls();

  const stack = await startLocalStack(['--workers', '2']);
  const concurrent = new GatewayClient(stack.gatewayAddress, credentials.createInsecure());
  const orders = diarizeInOrder(stack.transcriberAddress);
  const timings: Record<string, number[]> = {};
  const record = (key: string, ms: number) => (timings[key] ??= []).push(ms);
  const time = async (client: GatewayClient, bytes: Buffer, diarization: DiarizationMode) => {
    const t = performance.now();
    await streamAudio((o) => client.streamTranscribe(o), bytes, { config: { diarization }, deadlineMs: 600_000 });
    return performance.now() - t;
  };
  try {
    for (const a of audios.slice(0, 2)) await time(concurrent, a.bytes, DiarizationMode.AUTO); // warm-up
    for (let p = 0; p < PASSES; p++) {
      for (const a of audios) {
        const kind = a.stereo ? 'stereo' : 'mono';
        record(`${kind} off`, await time(concurrent, a.bytes, DiarizationMode.NONE));
        record(`${kind} on`, await time(concurrent, a.bytes, DiarizationMode.AUTO));
        if (!a.stereo) {
          record('mono beside', await orders.run(a.bytes, 'beside'));
          record('mono after', await orders.run(a.bytes, 'after'));
        }
      }
    }
  } finally {
    concurrent.close();
    orders.close();
    await stack.stop();
  }
  const m = (k: string) => median(timings[k] ?? []);
  report(
    `bench:diarization on ${machine()}: ${audios.length} sample calls x ${PASSES} passes, one request at a time, 2 ASR workers, 1 spectral diarizer worker\n\n`,
  );
  report(
    table(
      ['recordings', 'diarization off: median ms', 'on (AUTO): median ms', 'on / off'],
      [
        [
          'mono 16 kHz (CLUSTER: spectral beside ASR)',
          m('mono off').toFixed(0),
          m('mono on').toFixed(0),
          (m('mono on') / m('mono off')).toFixed(3),
        ],
        [
          'stereo 8 kHz mu-law (CHANNELS: each channel transcribed)',
          m('stereo off').toFixed(0),
          m('stereo on').toFixed(0),
          (m('stereo on') / m('stereo off')).toFixed(3),
        ],
      ],
    ) + '\n\n',
  );
  report(
    table(
      ['mono, diarized', 'median ms', 'vs no diarization'],
      [
        ['through the gateway (side by side)', m('mono on').toFixed(0), (m('mono on') / m('mono off')).toFixed(3)],
        [
          'direct to the transcriber, side by side',
          m('mono beside').toFixed(0),
          (m('mono beside') / m('mono off')).toFixed(3),
        ],
        [
          'direct to the transcriber, diarization after ASR',
          m('mono after').toFixed(0),
          (m('mono after') / m('mono off')).toFixed(3),
        ],
      ],
    ) + '\n\n',
  );
}

if (!ONLY_ACCURACY) await costOfSpeakers();
const { dir: setDir, items: conversations } = await conversationSet();
const MODES = ['legacy', 'conversation', 'voices', 'embedding'] as const;
const scored: Record<string, Scored[]> = {};
for (const mode of MODES) scored[mode] = await scoreMode(mode, setDir, conversations);
const speeds = [];
for (const mode of MODES)
  speeds.push(
    JSON.parse(
      (
        await run('/usr/bin/python3', [
          join(ROOT, 'bench', 'spectral_speed.py'),
          join(ROOT, 'services', 'transcriber', 'worker'),
          mode,
          String(sized(600, 30)),
          ...conversations.map((c) => join(setDir, c.wav)),
        ])
      ).toString(),
    ) as { mode: string; audioSec: number; wallSec: number; cpuSec: number },
  );

const pct = (x: number) => x.toFixed(3);
const qualityRows = [];
for (const split of ['dev', 'test'] as const)
  for (const mode of MODES) {
    const mine = (scored[mode] ?? []).filter((s) => s.item.split === split);
    const two = summarise(mine.filter((s) => s.item.speakers === 2));
    const all = summarise(mine);
    const three = summarise(mine.filter((s) => s.item.speakers === 3));
    const one = summarise(mine.filter((s) => s.item.speakers === 1));
    qualityRows.push([
      split === 'dev' ? 'dev (tuned on)' : 'test (held out)',
      mode,
      pct(two.der25),
      pct(two.der0),
      pct(two.miss),
      pct(two.falseAlarm),
      pct(two.confusion),
      pct(all.der25),
      `${all.countRight}/${all.n}`,
      `${two.countRight}/${two.n}, ${three.countRight}/${three.n}, ${one.countRight}/${one.n}`,
      `${two.underOne}/${two.n}`,
    ]);
  }
report(
  `conversation set on ${machine()} (${conversations.length} recordings, dev/corpus/conversations.ts), each through the Diarize RPC of a transcriber per mode:\n\n`,
);
report(
  table(
    [
      'split',
      'spectral mode',
      '2-spk DER c=0.25',
      '2-spk DER c=0',
      'missed',
      'false alarm',
      'confusion',
      'all DER c=0.25',
      'count right',
      'count right 2/3/1 spk',
      '2-spk answered 0-1',
    ],
    qualityRows,
  ) + '\n\n',
);
report(
  table(
    ['spectral mode', 'audio s', 'wall s', 'CPU s', 'x real time per core'],
    speeds.map((sp) => [
      sp.mode,
      sp.audioSec.toFixed(0),
      sp.wallSec.toFixed(2),
      sp.cpuSec.toFixed(2),
      (sp.audioSec / sp.cpuSec).toFixed(0),
    ]),
  ) + '\n',
);
report(
  `Issue-22 figures on the same set (mean DER per recording, JER per speaker, the count's confidence; legacy gives none):\n\n` +
    table(REAL_HEADERS, realVoiceRows(scored, MODES)) +
    '\n',
);
const real = await realSet();
if (real !== null) {
  const realScored: Record<string, Scored[]> = {};
  for (const mode of MODES) realScored[mode] = await scoreMode(mode, real.dir, real.items);
  report(
    `\nReal-voice set on ${machine()} (${real.items.length} telephone-band conversations of LibriSpeech readers from ${voicesDir()}, CC BY 4.0, Panayotov et al. 2015; dev/corpus/real-conversations.ts, readers split by reader: dev and test readers never train or tune the other), through the Diarize RPC:\n\n` +
      table(REAL_HEADERS, realVoiceRows(realScored, MODES)) +
      '\n',
  );
}
report(
  `\nSeparability of the conversation-mode features on the same ${conversations.length} recordings (speech regions from the RTTM):\n\n` +
    (await separability(ROOT, setDir, conversations)),
);
finished();
