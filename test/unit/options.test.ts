import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  formatHelp,
  option,
  OptionError,
  optionDefaults,
  parseOptions,
  parsers,
  repeatable,
  unknownCommand,
} from '#common/options.js';
import { closestName, editDistance } from '#common/suggest.js';

const specs = {
  language: option({ flag: 'language', defaultValue: '', help: 'language', parse: parsers.string }),
  words: option({ flag: 'words', defaultValue: false, help: 'word times', parse: parsers.boolean }),
  workers: option({
    flag: 'workers',
    env: 'TEST_WORKERS',
    defaultValue: 2,
    help: 'workers',
    parse: parsers.int(1, 64),
  }),
  mode: option({
    flag: 'mode',
    defaultValue: 'fast' as 'fast' | 'exact',
    help: 'mode',
    parse: parsers.choice(['fast', 'exact'] as const),
  }),
  tag: repeatable({ flag: 'tag', defaultValue: [] as string[], help: 'tags', parse: (raw: string) => raw }),
  probe: option({ flag: 'probe', defaultValue: true, help: 'probe first', parse: parsers.boolean }),
};

describe('options', () => {
  it('applies flag, then environment, then default', () => {
    assert.equal(parseOptions(specs, [], {}).values.workers, 2);
    assert.equal(parseOptions(specs, [], { TEST_WORKERS: '8' }).values.workers, 8);
    assert.equal(parseOptions(specs, ['--workers', '4'], { TEST_WORKERS: '8' }).values.workers, 4);
    assert.equal(parseOptions(specs, ['--workers=5'], {}).values.workers, 5);
    assert.deepEqual(optionDefaults(specs).mode, 'fast');
  });

  it('refuses a flag whose value looks like another flag', () => {
    assert.throws(() => parseOptions(specs, ['--language', '--words'], {}), OptionError);
  });

  it('refuses unknown short and long flags, naming them', () => {
    assert.throws(() => parseOptions(specs, ['-w'], {}), /-w/);
    assert.throws(() => parseOptions(specs, ['--wrods'], {}), /unknown flag.*--wrods/);
  });

  it('ends flags at -- and keeps what follows as positionals', () => {
    const args = parseOptions(specs, ['--words', '--', '--not-a-flag.wav'], {});
    assert.equal(args.values.words, true);
    assert.deepEqual(args.positionals, ['--not-a-flag.wav']);
  });

  it('validates values and collects repeated flags', () => {
    assert.throws(() => parseOptions(specs, ['--workers', '0'], {}), /--workers must be an integer in \[1, 64\]/);
    assert.throws(() => parseOptions(specs, ['--mode', 'slow'], {}), /--mode must be one of fast, exact/);
    assert.deepEqual(parseOptions(specs, ['--tag', 'a', '--tag', 'b'], {}).values.tag, ['a', 'b']);
    assert.equal(parseOptions(specs, ['--no-probe'], {}).values.probe, false);
  });

  it('reports --help and --version, and lists every choice in the help', () => {
    assert.equal(parseOptions(specs, ['-h'], {}).help, true);
    assert.equal(parseOptions(specs, ['--version'], {}).version, true);
    assert.match(formatHelp('usage', specs), /--mode .*\{fast\|exact\}/);
  });

  it('names the closest command when one is mistyped', () => {
    assert.match(
      unknownCommand('callscribe', 'transcrib', ['transcribe', 'stats']).message,
      /did you mean "transcribe"/,
    );
  });
});

describe('options: suggestions and aliases', () => {
  const cli = {
    ...specs,
    outputDir: option({
      flag: 'output-dir',
      aliases: ['output_dir'],
      short: 'o',
      defaultValue: '',
      help: 'out',
      parse: parsers.string,
    }),
    concurrency: option({ flag: 'concurrency', defaultValue: 1, help: 'c', parse: parsers.int(1, 100) }),
  };

  it('names the flag meant for a slip: a swap, a missing letter, _ for -', () => {
    assert.throws(() => parseOptions(cli, ['--wrods'], {}), /unknown flag --wrods \(did you mean --words\?\)/);
    assert.throws(() => parseOptions(cli, ['--concurency', '2'], {}), /did you mean --concurrency\?/);
    assert.throws(
      () => parseOptions(cli, ['--output_dri', 'x'], {}),
      /did you mean --output_dir\?|did you mean --output-dir\?/,
    );
    assert.throws(
      () => parseOptions(cli, ['--zzz'], {}),
      (e: Error) => !/did you mean/.test(e.message),
    );
    assert.equal(closestName('transcrbe', ['transcribe', 'stats']), 'transcribe');
    assert.equal(closestName('xyz', ['transcribe', 'stats']), undefined);
    assert.equal(editDistance('wrods', 'words'), 1);
  });

  it('reads an alias or a short form as the flag, and lists them in --help', () => {
    assert.equal(parseOptions(cli, ['--output_dir', 'a'], {}).values.outputDir, 'a');
    assert.equal(parseOptions(cli, ['-o', 'b'], {}).values.outputDir, 'b');
    assert.match(formatHelp('usage', cli), /--output-dir .*\(also -o, --output_dir\)/);
  });

  it('refuses a URL where host:port is meant, saying what to drop', () => {
    assert.throws(() => parsers.hostPort('http://127.0.0.1:50051', '--target'), /drop "http:\/\/"/);
    assert.equal(parsers.hostPort('127.0.0.1:50051', '--target'), '127.0.0.1:50051');
  });
});
