import { normalizeEnglish } from './text-normalizer.js';

/** The words WER is scored on everywhere in callscribe: see text-normalizer.ts for the rules. */
export function normalizeWords(text: string): string[] {
  return normalizeEnglish(text);
}

export interface WerResult {
  wer: number;
  substitutions: number;
  deletions: number;
  insertions: number;
  referenceWords: number;
}

/** Word error rate by Levenshtein alignment: (S + D + I) / N. */
export function wordErrorRate(reference: string, hypothesis: string): WerResult {
  const ref = normalizeWords(reference);
  const hyp = normalizeWords(hypothesis);
  // Each cell holds [cost, S, D, I]; one row at a time keeps memory at O(hyp).
  let prev: Array<[number, number, number, number]> = hyp.map((_, j) => [j + 1, 0, 0, j + 1]);
  prev.unshift([0, 0, 0, 0]);
  for (let i = 1; i <= ref.length; i++) {
    const row: Array<[number, number, number, number]> = [[i, 0, i, 0]];
    for (let j = 1; j <= hyp.length; j++) {
      const diag = prev[j - 1] as [number, number, number, number];
      const up = prev[j] as [number, number, number, number];
      const left = row[j - 1] as [number, number, number, number];
      const same = ref[i - 1] === hyp[j - 1];
      const options: Array<[number, number, number, number]> = [
        [diag[0] + (same ? 0 : 1), diag[1] + (same ? 0 : 1), diag[2], diag[3]],
        [up[0] + 1, up[1], up[2] + 1, up[3]],
        [left[0] + 1, left[1], left[2], left[3] + 1],
      ];
      row.push(options.reduce((a, b) => (b[0] < a[0] ? b : a)));
    }
    prev = row;
  }
  const [cost, substitutions, deletions, insertions] = prev[hyp.length] as [number, number, number, number];
  return {
    wer: ref.length === 0 ? (hyp.length === 0 ? 0 : 1) : cost / ref.length,
    substitutions,
    deletions,
    insertions,
    referenceWords: ref.length,
  };
}

/** Share of reference words that appear in the hypothesis (order ignored). */
export function wordRecall(reference: string, hypothesis: string): number {
  const ref = normalizeWords(reference);
  const hyp = new Map<string, number>();
  for (const w of normalizeWords(hypothesis)) hyp.set(w, (hyp.get(w) ?? 0) + 1);
  let hits = 0;
  for (const w of ref) {
    const n = hyp.get(w) ?? 0;
    if (n > 0) {
      hits++;
      hyp.set(w, n - 1);
    }
  }
  return ref.length === 0 ? 1 : hits / ref.length;
}
