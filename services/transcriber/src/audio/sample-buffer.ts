/**
 * Append-only sample store addressed by absolute sample index, that forgets what every reader is
 * done with: a one-hour call at 16 kHz would otherwise hold 230 MB of floats.
 */
export class SampleBuffer {
  private blocks: Float32Array[] = [];
  /** Absolute index of the first sample of blocks[0]. */
  private base = 0;
  length = 0;

  append(samples: Float32Array): void {
    if (samples.length === 0) return;
    this.blocks.push(samples);
    this.length += samples.length;
  }

  /** Copies [from, to) into dst at dstOffset; indices outside [0, length) read as zeros. */
  copyInto(dst: Float32Array, dstOffset: number, from: number, to: number): void {
    if (from < this.base && from >= 0) throw new Error(`sample ${from} was already discarded (base ${this.base})`);
    let pos = this.base;
    for (const block of this.blocks) {
      const blockEnd = pos + block.length;
      if (blockEnd > from && pos < to) {
        const a = Math.max(from, pos);
        const b = Math.min(to, blockEnd);
        dst.set(block.subarray(a - pos, b - pos), dstOffset + (a - from));
      }
      if (blockEnd >= to) break;
      pos = blockEnd;
    }
  }

  /** Samples still held (not yet discarded). */
  get retained(): number {
    return this.length - this.base;
  }

  /** Drops whole blocks that end before `index`. */
  discardBefore(index: number): void {
    while (this.blocks.length > 0) {
      const first = this.blocks[0] as Float32Array;
      if (this.base + first.length > index) break;
      this.base += first.length;
      this.blocks.shift();
    }
  }
}
