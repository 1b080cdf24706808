/**
 * The one-to-one assignment of rows to columns with the largest total weight (Kuhn-Munkres, the
 * O(n³) shortest-augmenting-path form). Rectangular matrices are padded with zeros, so a row left
 * without a real column is simply unassigned. This is what pyannote.metrics does with scipy's
 * linear_sum_assignment on the speaker co-occurrence matrix.
 * Returns, for each row, its column or -1.
 */
export function maxWeightAssignment(weights: number[][]): number[] {
  const rows = weights.length;
  const cols = Math.max(0, ...weights.map((r) => r.length));
  const n = Math.max(rows, cols);
  if (n === 0) return [];
  const max = Math.max(0, ...weights.flat());
  // Minimising (max - weight) maximises weight; padding cells cost `max` (weight 0).
  const cost = (i: number, j: number) => max - (weights[i - 1]?.[j - 1] ?? 0);
  const u = new Array<number>(n + 1).fill(0);
  const v = new Array<number>(n + 1).fill(0);
  const p = new Array<number>(n + 1).fill(0); // p[j]: the row matched to column j (1-based, 0 = none)
  const way = new Array<number>(n + 1).fill(0);
  const at = (a: number[], i: number) => a[i] as number;
  for (let i = 1; i <= n; i++) {
    p[0] = i;
    let j0 = 0;
    const minv = new Array<number>(n + 1).fill(Infinity);
    const used = new Array<boolean>(n + 1).fill(false);
    do {
      used[j0] = true;
      const i0 = at(p, j0);
      let delta = Infinity;
      let j1 = 0;
      for (let j = 1; j <= n; j++) {
        if (used[j] === true) continue;
        const cur = cost(i0, j) - at(u, i0) - at(v, j);
        if (cur < at(minv, j)) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (at(minv, j) < delta) {
          delta = at(minv, j);
          j1 = j;
        }
      }
      for (let j = 0; j <= n; j++) {
        if (used[j] === true) {
          u[at(p, j)] = at(u, at(p, j)) + delta;
          v[j] = at(v, j) - delta;
        } else minv[j] = at(minv, j) - delta;
      }
      j0 = j1;
    } while (at(p, j0) !== 0);
    do {
      const j1 = at(way, j0);
      p[j0] = at(p, j1);
      j0 = j1;
    } while (j0 !== 0);
  }
  const assignment = new Array<number>(rows).fill(-1);
  for (let j = 1; j <= n; j++) {
    const i = at(p, j);
    if (i >= 1 && i <= rows && j <= cols && (weights[i - 1]?.[j - 1] ?? 0) > 0) assignment[i - 1] = j - 1;
  }
  return assignment;
}
