/**
 * The worker's stdio framing (docs/worker-protocol.md): u32 BE length of the rest, u32 BE length of
 * the JSON header, the header, then an optional binary payload.
 */
export function encodeFrame(header: object, payload?: Buffer): Buffer[] {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const prefix = Buffer.alloc(8);
  prefix.writeUInt32BE(4 + json.length + (payload?.length ?? 0), 0);
  prefix.writeUInt32BE(json.length, 4);
  return payload === undefined ? [prefix, json] : [prefix, json, payload];
}

export interface Frame {
  /** The decoded JSON, not yet checked: worker-messages.ts's parseReply turns it into a message. */
  header: Record<string, unknown>;
  payload: Buffer;
}

/** Reassembles frames from arbitrary stdout reads. */
export class FrameDecoder {
  private pending: Buffer[] = [];
  private pendingLength = 0;

  push(bytes: Buffer): Frame[] {
    this.pending.push(bytes);
    this.pendingLength += bytes.length;
    const frames: Frame[] = [];
    for (;;) {
      if (this.pendingLength < 4) break;
      const all =
        this.pending.length === 1 ? (this.pending[0] as Buffer) : Buffer.concat(this.pending, this.pendingLength);
      this.pending = [all];
      const length = all.readUInt32BE(0);
      if (all.length < 4 + length) break;
      const headerLength = all.readUInt32BE(4);
      const header = JSON.parse(all.toString('utf8', 8, 8 + headerLength)) as Record<string, unknown>;
      frames.push({ header, payload: all.subarray(8 + headerLength, 4 + length) });
      const rest = all.subarray(4 + length);
      this.pending = rest.length > 0 ? [rest] : [];
      this.pendingLength = rest.length;
    }
    return frames;
  }
}
