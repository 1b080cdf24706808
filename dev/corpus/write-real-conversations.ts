import { ensureRealConversations } from './real-conversations.js';

/**
 * node dist/dev/corpus/write-real-conversations.js DIR: writes the real-voice conversation set and
 * readers.json (the reader split that dev/train-speaker-stats.py trains on) into DIR.
 */
const dir = process.argv[2];
if (dir === undefined) {
  process.stderr.write('usage: node dist/dev/corpus/write-real-conversations.js DIR\n');
  process.exit(2);
}
const items = await ensureRealConversations(dir, (m) => process.stderr.write(m + '\n'));
if (items === null) {
  process.stderr.write('no readers folder: set CALLSCRIBE_VOICES_DIR or put it at ../shared/data/librispeech-voices\n');
  process.exit(1);
}
process.stdout.write(`${items.length} conversations in ${dir}\n`);
