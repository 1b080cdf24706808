import type { TranscriptionConfig } from '#gen/callscribe/v1/audio.js';

/** The speaker name of a channel: the caller's label (e.g. "agent") or channel_<n>. */
export function channelLabel(config: Pick<TranscriptionConfig, 'channelLabels'>, channel: number): string {
  const label = config.channelLabels[channel];
  return label !== undefined && label !== '' ? label : `channel_${channel}`;
}
