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

export { AUDIO_EXTENSIONS } from '#client/audio-extensions.js';

export function stem(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot > name.lastIndexOf('/') ? name.slice(0, dot) : name;
}
