import { registerSecret } from '#common/redact.js';
import { DiarizationMode } from '#gen/callscribe/v1/audio.js';
import type { RunConfig } from '../../config.js';
import { grpcProtocol } from './grpc.js';
import { openAiProtocol } from './openai.js';
import type { TargetProtocol } from './target-protocol.js';
import { whisperxHttpProtocol } from './whisperx-http.js';

const DIARIZATION = {
  none: DiarizationMode.NONE,
  channels: DiarizationMode.CHANNELS,
  cluster: DiarizationMode.CLUSTER,
  auto: DiarizationMode.AUTO,
};

/** The protocol a run config asks for (`protocol`, which a compared arm may vary), connected to its target. */
export function openProtocol(c: RunConfig): TargetProtocol {
  registerSecret(c.apiKey);
  const common = {
    target: c.target,
    apiKey: c.apiKey,
    tls: { tlsCa: c.tlsCa, tlsCert: c.tlsCert, tlsKey: c.tlsKey, tlsServerName: c.tlsServerName },
    chunkBytes: c.chunkBytes,
    deadlineMs: c.deadlineMs,
  };
  switch (c.protocol) {
    case 'grpc':
      return grpcProtocol({
        ...c,
        config: { language: c.language, diarization: DIARIZATION[c.diarization] },
      });
    case 'whisperx-http':
      // The endpoint takes diarization on or off; the server picks the method (ours: AUTO).
      return whisperxHttpProtocol({ ...common, diarization: c.diarization !== 'none' });
    case 'openai':
      return openAiProtocol({
        ...common,
        model: c.openaiModel,
        language: c.language,
        diarization: c.diarization,
        stream: c.openaiStream,
      });
  }
}
