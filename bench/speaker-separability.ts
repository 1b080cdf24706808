import { join } from 'node:path';
import type { Conversation } from '#dev/corpus/conversations.js';
import { run } from '#dev/corpus/espeak.js';
import { table } from './support.js';

/**
 * bench:diarization part (5): does a real voice raise the fit gain more than a split of one voice?
 * The count rule can be no better than this separation (bench/speaker_separability.py).
 */
interface Row {
  file: string;
  speakers: number;
  reference?: number;
  thirdVoice?: number;
  found2: number;
  found3: number;
}

function range(xs: number[]): [string, string, string] {
  const s = [...xs].sort((a, b) => a - b);
  const mid =
    s.length % 2
      ? (s[(s.length - 1) / 2] as number)
      : ((s[s.length / 2 - 1] as number) + (s[s.length / 2] as number)) / 2;
  return [(s[0] as number).toFixed(2), mid.toFixed(2), (s[s.length - 1] as number).toFixed(2)];
}

export async function separability(root: string, setDir: string, items: Conversation[]): Promise<string> {
  const out = await run('/usr/bin/python3', [
    join(root, 'bench', 'speaker_separability.py'),
    join(root, 'services', 'transcriber', 'worker'),
    ...items.map((c) => join(setDir, c.wav)),
  ]);
  const rows = out
    .toString()
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Row);
  if (rows.length !== items.length)
    throw new Error(`separability: ${rows.length} results for ${items.length} recordings`);
  const of = (n: number) => rows.filter((r) => r.speakers === n);
  const oneVoiceSplit = of(1).map((r) => r.found2);
  const trueSplit = of(2).map((r) => r.reference ?? 0);
  const extraSplit = of(2).map((r) => r.found3 - r.found2);
  const thirdVoice = of(3).map((r) => r.thirdVoice ?? 0);
  const worstOneVoice = Math.max(...oneVoiceSplit);
  const worstExtra = Math.max(...extraSplit);
  const body = table(
    ['gain (nats per frame) of', 'recordings', 'min', 'median', 'max'],
    [
      ['one voice, the diarizer’s best split into two', oneVoiceSplit.length, ...range(oneVoiceSplit)],
      ['two voices, the true split', trueSplit.length, ...range(trueSplit)],
      [
        'two voices, the diarizer’s best split into three, over its split into two',
        extraSplit.length,
        ...range(extraSplit),
      ],
      [
        'three voices, the third voice (true split over the best merge of two)',
        thirdVoice.length,
        ...range(thirdVoice),
      ],
    ],
  );
  const below = trueSplit.filter((g) => g <= worstOneVoice).length;
  const thirdBelow = thirdVoice.filter((g) => g <= worstExtra).length;
  return (
    body +
    `\n\nTwo-voice recordings whose true split gains no more than the largest one-voice split: ${below}/${trueSplit.length}. ` +
    `Three-voice recordings whose third voice gains no more than the largest spurious third split: ${thirdBelow}/${thirdVoice.length}.\n`
  );
}
