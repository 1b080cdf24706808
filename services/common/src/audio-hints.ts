/**
 * The transcriber's decoder ends "unrecognised audio" with advice for gRPC callers, who can declare
 * headerless audio in config.format; HTTP callers cannot, so the HTTP API swaps in advice they can
 * follow, and the CLI names its flags. One constant on every side, so the swap cannot drift from the message.
 */
export const HEADERLESS_AUDIO_HINT =
  'for headerless audio set config.format.encoding (PCM_S16LE, MULAW, ALAW, F32LE) and sample_rate_hz';

export const HTTP_AUDIO_HINT =
  'upload a WAV, MP3, FLAC, OGG, MP4/M4A or WebM file (headerless PCM can be sent only over the gRPC API, which takes config.format)';

/** The same advice for the callscribe CLI, whose flags set config.format. */
export const CLI_AUDIO_HINT =
  'for headerless audio pass --encoding (pcm_s16le, mulaw, alaw, f32le) and --sample-rate (and --channels)';
