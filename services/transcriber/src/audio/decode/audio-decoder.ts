import { AudioEncoding, type AudioFormat } from '#gen/callscribe/v1/audio.js';
import { HEADERLESS_AUDIO_HINT } from '#common/audio-hints.js';
import { invalidArgument } from '#common/service-error.js';
import { FfmpegDecoder } from './ffmpeg-decoder.js';
import { FileSpool } from './file-spool.js';
import { mp4IndexAtEnd } from './mp4-layout.js';
import { PcmReader } from './pcm-reader.js';
import type { SampleCodec } from './sample-codec.js';
import { WavStream } from './wav-stream.js';

export interface SourceInfo {
  /** e.g. "wav/mulaw", "raw/pcm_s16le", "ffmpeg/mp3". */
  sourceFormat: string;
  sampleRateHz: number;
  channels: number;
}

export type AudioSink = (planar: Float32Array[], info: SourceInfo) => void;

export interface DecoderOptions {
  /** Path of an ffmpeg binary, or undefined when none is installed. */
  ffmpegPath: string | undefined;
  maxAudioBytes: number;
  /** The largest container held on disk to be decoded with seeking (an MP4 with its index at the end). */
  maxSpoolBytes: number;
}

// Bytes of an MP4 read before its layout is known; a file that has not told by then is spooled.
const MP4_LAYOUT_BYTES = 1024 * 1024;

const RAW_CODECS: Partial<Record<AudioEncoding, SampleCodec>> = {
  [AudioEncoding.PCM_S16LE]: 'pcm_s16le',
  [AudioEncoding.MULAW]: 'mulaw',
  [AudioEncoding.ALAW]: 'alaw',
  [AudioEncoding.F32LE]: 'f32le',
};

// 12 bytes tell every container we accept apart.
const SNIFF_BYTES = 12;

function sniffContainer(head: Buffer): 'wav' | 'mp3' | 'flac' | 'ogg' | 'mp4' | 'webm' | 'unknown' {
  const ascii = head.toString('latin1', 0, 4);
  if (ascii === 'RIFF' || ascii === 'RIFX') return 'wav';
  if (head.toString('latin1', 4, 8) === 'ftyp') return 'mp4'; // .m4a, .mp4, .mov
  if (head.length >= 4 && head.readUInt32BE(0) === 0x1a45dfa3) return 'webm'; // EBML: .webm, .mka (a file may be shorter)
  if (ascii === 'fLaC') return 'flac';
  if (ascii === 'OggS') return 'ogg';
  if (ascii.startsWith('ID3') || (head[0] === 0xff && ((head[1] ?? 0) & 0xe0) === 0xe0)) return 'mp3';
  return 'unknown';
}

const unrecognised = () =>
  invalidArgument(
    'unrecognised audio: the first bytes are not a WAV, MP3, FLAC, OGG, MP4/M4A or WebM header, nor anything ffmpeg knows; ' +
      HEADERLESS_AUDIO_HINT,
  );

/**
 * Decodes audio bytes as they arrive into planar float samples at the source rate (16 kHz for what
 * ffmpeg decodes). Raw encodings are taken as declared; AUTO sniffs the container.
 */
export class AudioDecoder {
  private mode: 'sniff' | 'wav' | 'raw' | 'ffmpeg' | 'mp4-layout' | 'spool' = 'sniff';
  private spool: FileSpool | undefined;
  private sniffed: Buffer[] = [];
  private sniffedLength = 0;
  private wav: WavStream | undefined;
  private raw: PcmReader | undefined;
  private ffmpeg: FfmpegDecoder | undefined;
  private totalBytes = 0;
  /** ffmpeg is probing bytes no sniffer recognised: its failure means "not audio we know". */
  private probing = false;
  private frames = 0;
  info: SourceInfo | undefined;

  constructor(
    format: AudioFormat | undefined,
    private readonly options: DecoderOptions,
    private readonly sink: AudioSink,
  ) {
    const encoding = format?.encoding ?? AudioEncoding.AUTO;
    const codec = RAW_CODECS[encoding];
    if (codec !== undefined) {
      const rate = format?.sampleRateHz ?? 0;
      const channels = format?.channels || 1;
      if (rate < 1000 || rate > 384000) {
        throw invalidArgument(`config.format.sample_rate_hz must be 1000..384000 for raw ${codec} audio, got ${rate}`);
      }
      if (channels > 8) throw invalidArgument(`config.format.channels must be 1..8, got ${channels}`);
      this.mode = 'raw';
      this.raw = new PcmReader(codec, channels);
      this.info = { sourceFormat: `raw/${codec}`, sampleRateHz: rate, channels };
    } else if (encoding !== AudioEncoding.AUTO) {
      throw invalidArgument(`config.format.encoding ${String(encoding)} is not a known encoding`);
    }
  }

  async write(bytes: Buffer): Promise<void> {
    this.totalBytes += bytes.length;
    if (this.totalBytes > this.options.maxAudioBytes) {
      throw invalidArgument(`audio exceeds the transcriber's limit of ${this.options.maxAudioBytes} bytes per request`);
    }
    switch (this.mode) {
      case 'raw':
        this.emit((this.raw as PcmReader).push(bytes));
        return;
      case 'wav':
        return this.writeWav(bytes);
      case 'ffmpeg':
        return (this.ffmpeg as FfmpegDecoder).write(bytes);
      case 'spool':
        return (this.spool as FileSpool).write(bytes);
      case 'mp4-layout':
        this.sniffed.push(bytes);
        this.sniffedLength += bytes.length;
        return this.chooseMp4(false);
      case 'sniff': {
        this.sniffed.push(bytes);
        this.sniffedLength += bytes.length;
        if (this.sniffedLength >= SNIFF_BYTES) await this.choose();
      }
    }
  }

  private async choose(): Promise<void> {
    const head = Buffer.concat(this.sniffed, this.sniffedLength);
    this.sniffed = [];
    const container = sniffContainer(head);
    if (container === 'wav') {
      this.mode = 'wav';
      this.wav = new WavStream();
      return this.writeWav(head);
    }
    if (container === 'mp4') {
      this.mode = 'mp4-layout';
      this.sniffed = [head];
      return this.chooseMp4(false);
    }
    if (container === 'unknown') {
      // Any other container (AIFF, AMR, CAF...) is ffmpeg's to recognise, when it is installed.
      if (this.options.ffmpegPath === undefined) throw unrecognised();
      this.probing = true;
      return this.startFfmpeg('probed', head);
    }
    return this.startFfmpeg(container, head);
  }

  /** Streams an MP4 whose index comes first; spools one whose index is at its end (`final`: no more bytes). */
  private async chooseMp4(final: boolean): Promise<void> {
    const head = Buffer.concat(this.sniffed, this.sniffedLength);
    const atEnd = mp4IndexAtEnd(head);
    if (atEnd === undefined && !final && head.length < MP4_LAYOUT_BYTES) {
      this.sniffed = [head];
      return;
    }
    this.sniffed = [];
    // Without ffmpeg, startFfmpeg says so; there is nothing to spool for.
    if (atEnd === false || this.options.ffmpegPath === undefined) return this.startFfmpeg('mp4', head);
    this.mode = 'spool';
    this.spool = new FileSpool(this.options.maxSpoolBytes, 'an MP4/M4A whose index (moov box) is at its end');
    await this.spool.write(head);
  }

  /**
   * After the last write: decodes a spooled file, yielding after each block so the consumer (and
   * its backpressure) sets the pace. Nothing to do for audio that was decoded as it arrived.
   */
  async *decodeSpooled(): AsyncGenerator<void> {
    if (this.mode === 'mp4-layout') await this.chooseMp4(true);
    if (this.mode !== 'spool') return;
    const spool = this.spool as FileSpool;
    await spool.close();
    this.ffmpeg = new FfmpegDecoder(
      this.options.ffmpegPath as string,
      'mp4',
      (planar, rate) => {
        this.info ??= { sourceFormat: 'ffmpeg/mp4', sampleRateHz: rate, channels: planar.length };
        this.emit(planar);
      },
      spool.path,
    );
    this.mode = 'ffmpeg';
    yield* this.ffmpeg.pull();
  }

  private async writeWav(bytes: Buffer): Promise<void> {
    const wav = this.wav as WavStream;
    const r = wav.push(bytes);
    if (r.kind === 'foreign') return this.startFfmpeg(`WAV ${r.codecName}`, r.buffered);
    if (r.kind === 'audio' && wav.format !== undefined) {
      this.info ??= {
        sourceFormat: `wav/${wav.format.codec}`,
        sampleRateHz: wav.format.sampleRateHz,
        channels: wav.format.channels,
      };
      this.emit(r.planar);
    }
  }

  private async startFfmpeg(label: string, head: Buffer): Promise<void> {
    if (this.options.ffmpegPath === undefined) {
      throw invalidArgument(
        `${label} audio needs ffmpeg, which is not installed on this transcriber; send WAV or raw PCM/mu-law/A-law`,
      );
    }
    this.mode = 'ffmpeg';
    const sourceFormat = `ffmpeg/${label.replace(/^WAV /, 'wav-').replace(/\s+/g, '_').toLowerCase()}`;
    this.ffmpeg = new FfmpegDecoder(this.options.ffmpegPath, label, (planar, rate) => {
      this.info ??= { sourceFormat, sampleRateHz: rate, channels: planar.length };
      this.emit(planar);
    });
    await this.ffmpeg.write(head);
  }

  private emit(planar: Float32Array[]): void {
    const n = planar[0]?.length ?? 0;
    this.frames += n;
    if (n > 0 && this.info !== undefined) this.sink(planar, this.info);
  }

  /** Flushes and validates; throws INVALID_ARGUMENT when the stream was not whole. */
  async end(): Promise<SourceInfo> {
    if (this.mode === 'sniff') {
      if (this.sniffedLength === 0) throw invalidArgument('the stream carried no audio bytes after the config');
      await this.choose();
    }
    // A caller that did not pull decodeSpooled itself (one that wants the whole result at once).
    if (this.mode === 'mp4-layout' || this.mode === 'spool') for await (const _ of this.decodeSpooled());
    if (this.mode === 'wav') (this.wav as WavStream).end();
    if (this.mode === 'ffmpeg') {
      try {
        await (this.ffmpeg as FfmpegDecoder).end();
      } catch (err: unknown) {
        throw this.probing ? unrecognised() : err;
      } finally {
        await this.spool?.dispose();
      }
    }
    if (this.info === undefined) throw invalidArgument('the stream carried no audio bytes after the config');
    if (this.frames === 0)
      throw invalidArgument(`the ${this.info.sourceFormat} audio holds no samples (an empty data chunk?)`);
    return this.info;
  }

  dispose(): void {
    this.ffmpeg?.kill();
    void this.spool?.dispose();
  }
}
