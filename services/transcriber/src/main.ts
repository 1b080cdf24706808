#!/usr/bin/env node
import { runService } from '#common/service-main.js';
import { resolveTranscriberConfig, transcriberHelp, transcriberOptions } from './config.js';
import { startTranscriber } from './server.js';

await runService('transcriber', transcriberOptions, transcriberHelp, (values) =>
  startTranscriber(resolveTranscriberConfig(values)),
);
