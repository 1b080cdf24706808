import { readWavHeader } from '#common/wav-header.js';

/** What the loadgen needs to know of a file before sending it: WAV headers only; others are unknown. */
export interface AudioInfo {
  durationSec: number | undefined;
  channels: number | undefined;
  bytesPerSec: number | undefined;
}

/** From the header the transcriber reads too; the data may be cut short or declared open (streamed WAV). */
export function audioInfo(bytes: Buffer): AudioInfo {
  const header = readWavHeader(bytes);
  if (header.kind !== 'complete') return { durationSec: undefined, channels: undefined, bytesPerSec: undefined };
  const { channels, byteRate } = header.fmt;
  const present = bytes.length - header.dataOffset;
  const dataBytes = header.dataBytes === undefined ? present : Math.min(header.dataBytes, present);
  return { durationSec: byteRate ? dataBytes / byteRate : undefined, channels, bytesPerSec: byteRate };
}
