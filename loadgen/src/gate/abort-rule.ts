/**
 * Stops a run whose requests mostly fail: measuring a broken target only fills the CSV with
 * errors (a dead target gave ~1,400 failed rows in 2 s before this rule).
 */
export interface AbortRule {
  /** Share of finished requests that failed, above which the run stops (1 = never). */
  maxErrorRate: number;
  /** Finished requests needed before the rule is applied, so one early failure does not stop it. */
  minRequests: number;
}

export function abortReason(rule: AbortRule, finished: number, failed: number): string | undefined {
  if (finished < rule.minRequests || finished === 0) return undefined;
  const rate = failed / finished;
  return rate > rule.maxErrorRate
    ? `${failed} of ${finished} requests failed (${(rate * 100).toFixed(0)}% > --abort-error-rate ${rule.maxErrorRate})`
    : undefined;
}
