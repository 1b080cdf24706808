/** One audio file ready to send, with what sits beside it. */
export interface Recording {
  /** Where it came from: the S3 key or the path relative to the folder. */
  name: string;
  path: string;
  bytes: number;
  /** Reference transcript from `<name>.txt`, when present. */
  reference?: string;
  /** Reference speaker turns from `<name>.rttm`, when present (RTTM text). */
  rttm?: string;
}

export const AUDIO_EXTENSIONS = ['wav', 'mp3', 'flac', 'ogg', 'opus', 'm4a', 'mp4', 'webm'];

export function stem(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot > name.lastIndexOf('/') ? name.slice(0, dot) : name;
}
