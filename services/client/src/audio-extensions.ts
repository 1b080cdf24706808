/** The audio files a folder is searched for, by the CLI and the loadgen alike. */
export const AUDIO_EXTENSIONS = ['wav', 'mp3', 'flac', 'ogg', 'opus', 'm4a', 'mp4', 'webm'];
