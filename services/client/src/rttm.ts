/** RTTM, the diarization exchange format: one SPEAKER line per turn (NIST RT, as pyannote writes it). */

/** A speaker turn in seconds. */
export interface Turn {
  startSec: number;
  endSec: number;
  speaker: string;
}

export function parseRttm(text: string): Turn[] {
  return text
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f[0] === 'SPEAKER' && f.length >= 8)
    .map((f) => ({ startSec: Number(f[3]), endSec: Number(f[3]) + Number(f[4]), speaker: f[7] as string }));
}

export function toRttmLines(fileId: string, turns: Turn[]): string {
  return turns
    .map(
      (t) =>
        `SPEAKER ${fileId} 1 ${t.startSec.toFixed(3)} ${(t.endSec - t.startSec).toFixed(3)} <NA> <NA> ${t.speaker} <NA> <NA>\n`,
    )
    .join('');
}
