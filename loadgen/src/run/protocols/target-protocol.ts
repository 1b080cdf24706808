import type { GatewayClient } from '#gen/callscribe/v1/gateway.js';
import type { RequestResult } from '../../results/request-result.js';
import type { Recording } from '../../source/recording.js';
import type { ProtocolName } from './protocol-choice.js';

/** Which request of which level: what every row of requests.csv is keyed by. */
export interface RequestSlot {
  intendedStartMs: number;
  level: string;
  index: number;
  warmup: boolean;
}

/**
 * One way of asking a server for a transcript (callscribe's gRPC, the WhisperX FastAPI upload,
 * OpenAI's transcriptions API). The levels, the measurements and the outputs do not know which.
 */
export interface TargetProtocol {
  readonly name: ProtocolName;
  /** A dead, wrong or unready target fails here in seconds, with the hint to fix it (PreflightError). */
  checkTarget(timeoutMs: number): Promise<void>;
  /** Sends one recording and measures it; never throws, a failure is a result too. */
  send(rec: Recording, audio: Buffer, slot: RequestSlot, pace: 'max' | 'realtime'): Promise<RequestResult>;
  /** GetServerStats (queue depth, GPU) where the protocol has it; HTTP APIs have none. */
  readonly statsClient: GatewayClient | undefined;
  close(): void;
}
