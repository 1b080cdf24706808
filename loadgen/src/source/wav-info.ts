/** What the loadgen needs to know of a file before sending it: WAV headers only; others are unknown. */
export interface AudioInfo {
  durationSec: number | undefined;
  channels: number | undefined;
  bytesPerSec: number | undefined;
}

export function audioInfo(bytes: Buffer): AudioInfo {
  const unknown = { durationSec: undefined, channels: undefined, bytesPerSec: undefined };
  if (bytes.length < 12 || bytes.toString('latin1', 0, 4) !== 'RIFF' || bytes.toString('latin1', 8, 12) !== 'WAVE')
    return unknown;
  let offset = 12;
  let channels: number | undefined;
  let byteRate: number | undefined;
  while (offset + 8 <= bytes.length) {
    const id = bytes.toString('latin1', offset, offset + 4);
    const size = bytes.readUInt32LE(offset + 4);
    if (id === 'fmt ' && offset + 24 <= bytes.length) {
      channels = bytes.readUInt16LE(offset + 10);
      byteRate = bytes.readUInt32LE(offset + 16);
    }
    if (id === 'data') {
      const dataBytes =
        size === 0 || size === 0xffffffff ? bytes.length - offset - 8 : Math.min(size, bytes.length - offset - 8);
      return { durationSec: byteRate ? dataBytes / byteRate : undefined, channels, bytesPerSec: byteRate };
    }
    offset += 8 + size + (size % 2);
  }
  return unknown;
}
