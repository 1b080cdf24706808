/** A 44-byte canonical WAV header; tests build odd, huge or mutated files around it byte by byte. */
export function wavHeader(opts: {
  formatTag?: number;
  channels?: number;
  rate?: number;
  bits?: number;
  dataBytes: number;
}): Buffer {
  const { formatTag = 1, channels = 1, rate = 16000, bits = 16, dataBytes } = opts;
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'latin1');
  h.writeUInt32LE(36 + dataBytes, 4);
  h.write('WAVEfmt ', 8, 'latin1');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(formatTag, 20);
  h.writeUInt16LE(channels, 22);
  h.writeUInt32LE(rate, 24);
  h.writeUInt32LE((rate * channels * bits) / 8, 28);
  h.writeUInt16LE((channels * bits) / 8, 32);
  h.writeUInt16LE(bits, 34);
  h.write('data', 36, 'latin1');
  h.writeUInt32LE(dataBytes, 40);
  return h;
}
