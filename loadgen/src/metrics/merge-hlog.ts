import { readFile } from 'node:fs/promises';
import * as hdr from 'hdr-histogram-js';
import { newHistogram } from './histograms.js';

/**
 * Adds every interval of every .hlog file into one histogram: the distribution of all samples of
 * runs made on several loadgen machines.
 */
export async function mergeHlogs(paths: string[]): Promise<hdr.Histogram> {
  const merged = newHistogram();
  for (const path of paths) {
    const reader = new hdr.HistogramLogReader(await readFile(path, 'utf8'), 'packed');
    for (let h = reader.nextIntervalHistogram(); h !== null; h = reader.nextIntervalHistogram()) merged.add(h);
  }
  return merged;
}
