/**
 * npm run bench:memory: the transcriber's peak RSS for the same audio sent in small or huge gRPC
 * messages. 16 MiB of 1 kHz mu-law (4.7 hours: the cheapest bytes to send and the dearest to decode,
 * 64 bytes of 16 kHz floats each) goes straight to a fresh transcriber process per arm, as 32 KiB,
 * 4 MiB and 16 MiB messages, in alternating order round by round. Peak RSS is the kernel's VmHWM for
 * that process; a health check every 250 ms says whether it stayed responsive. The ratio of each arm
 * to the 32 KiB arm of the same round is the figure: it should be about 1 whatever the message size.
 */
import { readFileSync } from 'node:fs';
import { credentials } from '@grpc/grpc-js';
import { AudioEncoding } from '#gen/callscribe/v1/audio.js';
import { TranscriberClient } from '#gen/callscribe/v1/transcriber.js';
import { checkHealth } from '#common/health-check.js';
import { streamAudio } from '#client/stream-audio.js';
import { BIN, startBinary, stopBinary } from '#dev/local-stack.js';
import { finished, machine, progress, report, setting, sized, table } from './support.js';

const MIB = 1024 * 1024;
const RATE_HZ = 1000;
const totalBytes = setting('MEMORY_TOTAL_BYTES', 16 * MIB, 256 * 1024);
const rounds = setting('MEMORY_ROUNDS', 3, 1);
// The transcriber's largest message is 16 MiB with framing, so the biggest arm leaves room for it.
const arms = sized([32 * 1024, 4 * MIB, 16 * MIB - 64], [32 * 1024, 128 * 1024]);

/** Line noise well under the VAD's threshold: every byte is decoded, resampled and scanned, none transcribed. */
function mulawNoise(bytes: number): Buffer {
  const out = Buffer.alloc(bytes);
  let s = 7;
  for (let i = 0; i < bytes; i++) {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    // mu-law codes 0xF8..0xFF are the smallest positive amplitudes.
    out[i] = 0xf8 + (s % 8);
  }
  return out;
}

function peakRssMb(pid: number): number {
  const kb = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
  return kb / 1024;
}

interface ArmResult {
  messageBytes: number;
  peakMb: number;
  wallSec: number;
  /** Slowest health answer while the request ran: how responsive the transcriber stayed. */
  slowestHealthMs: number;
  /** Health checks that got no answer within 10 s. */
  healthFailures: number;
  decodedSec: number;
}

async function runArm(audio: Buffer, messageBytes: number): Promise<ArmResult> {
  const maxAudioSec = Math.ceil(audio.length / RATE_HZ) + 60;
  const transcriber = await startBinary(BIN.transcriber, [
    '--listen',
    '127.0.0.1:0',
    '--workers',
    '1',
    '--diarizer',
    'none',
    '--max-audio-sec',
    String(maxAudioSec),
  ]);
  const client = new TranscriberClient(transcriber.address, credentials.createInsecure(), {
    'grpc.max_send_message_length': 17 * MIB,
  });
  let slowestHealthMs = 0;
  let healthFailures = 0;
  let running = true;
  const health = (async () => {
    while (running) {
      const t = performance.now();
      await checkHealth(transcriber.address, '', 10_000).catch(() => {
        healthFailures++;
      });
      slowestHealthMs = Math.max(slowestHealthMs, performance.now() - t);
      await new Promise((r) => setTimeout(r, 250));
    }
  })();
  try {
    const started = performance.now();
    const result = await streamAudio((o) => client.transcribe(o), audio, {
      chunkBytes: messageBytes,
      deadlineMs: 600_000,
      config: { format: { encoding: AudioEncoding.MULAW, sampleRateHz: RATE_HZ, channels: 1 }, language: 'en' },
    });
    const wallSec = (performance.now() - started) / 1000;
    if (healthFailures > 0)
      throw new Error(`${healthFailures} health checks failed while ${label(messageBytes)} messages ran`);
    return {
      messageBytes,
      peakMb: peakRssMb(transcriber.child.pid as number),
      wallSec,
      slowestHealthMs,
      healthFailures,
      decodedSec: result.final.audioDurationSec,
    };
  } finally {
    running = false;
    await health;
    client.close();
    await stopBinary(transcriber);
  }
}

const label = (bytes: number) => (bytes >= MIB ? `${Math.round(bytes / MIB)} MiB` : `${bytes / 1024} KiB`);

async function main(): Promise<void> {
  const audio = mulawNoise(totalBytes);
  const results: ArmResult[][] = [];
  for (let r = 0; r < rounds; r++) {
    // Alternate the order each round so a machine that warms up or gets busier does not favour one arm.
    const order = r % 2 === 0 ? arms : [...arms].reverse();
    const round: ArmResult[] = [];
    for (const bytes of order) {
      const result = await runArm(audio, bytes);
      if (Math.abs(result.decodedSec - totalBytes / RATE_HZ) > 1)
        throw new Error(`decoded ${result.decodedSec} s, sent ${totalBytes / RATE_HZ} s`);
      round.push(result);
      progress(
        `round ${r + 1} ${label(bytes)}: peak ${result.peakMb.toFixed(0)} MB in ${result.wallSec.toFixed(1)} s\n`,
      );
    }
    results.push(round);
  }
  const byArm = (bytes: number) => results.map((round) => round.find((a) => a.messageBytes === bytes) as ArmResult);
  const base = byArm(arms[0] as number);
  const range = (xs: number[], digits: number) =>
    `${Math.min(...xs).toFixed(digits)}-${Math.max(...xs).toFixed(digits)}`;
  const rows = arms.map((bytes) => {
    const runs = byArm(bytes);
    return [
      label(bytes),
      range(
        runs.map((a) => a.peakMb),
        0,
      ),
      range(
        runs.map((a, i) => a.peakMb / (base[i] as ArmResult).peakMb),
        2,
      ),
      range(
        runs.map((a) => a.slowestHealthMs),
        0,
      ),
      runs.reduce((n, a) => n + a.healthFailures, 0),
      range(
        runs.map((a) => a.wallSec),
        1,
      ),
    ];
  });
  report(
    `${machine()}; ${label(totalBytes)} of ${RATE_HZ} Hz mu-law (${(totalBytes / RATE_HZ / 3600).toFixed(2)} h) ` +
      `straight to a fresh transcriber per arm, ${rounds} rounds, arms alternating\n\n` +
      `${table(['message size', 'peak RSS MB', 'peak / 32 KiB arm', 'slowest health ms', 'health checks unanswered', 'wall s'], rows)}\n`,
  );
  finished();
}

await main();
