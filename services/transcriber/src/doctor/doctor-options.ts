import { formatHelp, option, parsers } from '#common/options.js';
import { transcriberOptions } from '../config.js';

/** The doctor's own flags; it also takes every transcriber flag, so it checks the engine a start would use. */
export const doctorOwnOptions = {
  json: option({
    flag: 'json',
    defaultValue: false,
    help: 'print the rows as one JSON document ({ ok, engine, rows: [{ check, status, detail, fix, ms }] }) instead of text',
    parse: parsers.boolean,
  }),
  checkTimeoutMs: option({
    flag: 'check-timeout-ms',
    env: 'DOCTOR_CHECK_TIMEOUT_MS',
    defaultValue: 60_000,
    help: 'longest one check may run before it is stopped and fails (a first start that downloads weights needs more)',
    parse: parsers.int(1000, 3_600_000),
  }),
};

export const doctorOptions = { ...transcriberOptions, ...doctorOwnOptions };

export const DOCTOR_USAGE =
  'callscribe-transcriber doctor [flags]: vets this host for the engine the flags and environment select, one row per check ' +
  '(ok, FAIL with the fix, or skip with why): Python and packages, GPUs, cuDNN (torch vs CTranslate2), Hugging Face token and ' +
  'gated models, model load, one tiny batch of synthetic audio, alignment for en, the diarizer. Exit 0 only when no check fails.';

export const doctorHelp = () =>
  `${formatHelp(DOCTOR_USAGE, doctorOwnOptions)}\nEvery flag of callscribe-transcriber applies too (see callscribe-transcriber --help); the ones the checks read: ` +
  '--backend (--engine), --diarizer, --python, --nvidia-smi, --workers, and the engines’ settings in the environment ' +
  '(WHISPERX_*, HF_WHISPER_*, PYANNOTE_*, HF_TOKEN).\n';

/** The line the transcriber's own --help carries about the subcommand. */
export const doctorHelpLine =
  '\nSubcommand: callscribe-transcriber doctor [flags] checks this host for the configured engine (Python and packages, GPUs,\n' +
  'cuDNN, Hugging Face token, model load, one synthetic decode, alignment, diarizer) and exits 0 only when all pass;\n' +
  'doctor --help lists its flags. Run it first on a new host, and whenever something is wrong.\n';
