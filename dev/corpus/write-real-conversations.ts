import { ensureRealConversations, writeCalibrationConversations } from './real-conversations.js';

/**
 * node dist/dev/corpus/write-real-conversations.js DIR: writes the real-voice conversation set (dev and
 * test splits) and readers.json (the reader split that dev/train-speaker-stats.py trains on) into DIR.
 * With `--train N` or `--dev-extra N` instead: N calibration conversations, of the train readers or of
 * the dev readers with seeds the scored dev calls do not use (never scored by the bench).
 */
const args = process.argv.slice(2);
const flag = args.findIndex((a) => a === '--train' || a === '--dev-extra');
const split = flag >= 0 ? (args[flag] === '--train' ? 'train' : 'dev') : null;
const count = flag >= 0 ? Number(args.splice(flag, 2)[1]) : 0;
const dir = args[0];
if (dir === undefined || (split !== null && !(Number.isInteger(count) && count > 0))) {
  process.stderr.write('usage: node dist/dev/corpus/write-real-conversations.js [--train N | --dev-extra N] DIR\n');
  process.exit(2);
}
const log = (m: string) => process.stderr.write(m + '\n');
const items =
  split !== null
    ? await writeCalibrationConversations(dir, split, count, log)
    : await ensureRealConversations(dir, log);
if (items === null) {
  process.stderr.write('no readers folder: set CALLSCRIBE_VOICES_DIR or put it at ../shared/data/librispeech-voices\n');
  process.exit(1);
}
process.stdout.write(`${items.length} conversations in ${dir}\n`);
