import { writeCalibrationConversations } from './conversations.js';

/**
 * node dist/dev/corpus/write-espeak-calibration.js N DIR: N conversations of the espeak set's dev-pool
 * voices with seeds no scored call uses, for dev/fit-embedding-space.py (never scored by the bench).
 */
const count = Number(process.argv[2]);
const dir = process.argv[3];
if (dir === undefined || !(Number.isInteger(count) && count > 0)) {
  process.stderr.write('usage: node dist/dev/corpus/write-espeak-calibration.js N DIR\n');
  process.exit(2);
}
const items = await writeCalibrationConversations(dir, count);
process.stdout.write(`${items.length} conversations in ${dir}\n`);
