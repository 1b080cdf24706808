#!/usr/bin/env node
import { runService } from '#common/service-main.js';
import { resolveTranscriberConfig, transcriberHelp, transcriberOptions } from './config.js';
import { runDoctor } from './doctor/doctor.js';
import { doctorHelpLine } from './doctor/doctor-options.js';
import { startTranscriber } from './server.js';

// `doctor` first, so `docker compose run --rm transcriber doctor` reaches it with the service's environment.
if (process.argv[2] === 'doctor') process.exitCode = await runDoctor(process.argv.slice(3));
else
  await runService(
    'transcriber',
    transcriberOptions,
    () => transcriberHelp() + doctorHelpLine,
    (values) => startTranscriber(resolveTranscriberConfig(values)),
  );
