// ITU-T G.711 expansion tables, scaled to [-1, 1). Computed once: 256 entries each.
function mulawToLinear(byte: number): number {
  const u = ~byte & 0xff;
  const sign = u & 0x80;
  const exponent = (u >> 4) & 0x07;
  const mantissa = u & 0x0f;
  const magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84;
  return (sign !== 0 ? -magnitude : magnitude) / 32768;
}

function alawToLinear(byte: number): number {
  const a = byte ^ 0x55;
  const sign = a & 0x80;
  const exponent = (a >> 4) & 0x07;
  const mantissa = a & 0x0f;
  const magnitude = exponent === 0 ? (mantissa << 4) + 8 : ((mantissa << 4) + 0x108) << (exponent - 1);
  return (sign !== 0 ? magnitude : -magnitude) / 32768;
}

export const MULAW_TABLE = Float32Array.from({ length: 256 }, (_, i) => mulawToLinear(i));
export const ALAW_TABLE = Float32Array.from({ length: 256 }, (_, i) => alawToLinear(i));
