/** One line of the doctor's report: what was checked, how it went, and what to do about a failure. */
export interface DoctorRow {
  check: string;
  status: 'ok' | 'fail' | 'skip';
  detail: string;
  /** What to do, on a failure; empty otherwise. */
  fix: string;
  ms: number;
}

const LABELS: Record<DoctorRow['status'], string> = { ok: 'ok', fail: 'FAIL', skip: 'skip' };
const CHECK_WIDTH = 24;

export function formatRow(row: DoctorRow): string {
  const line = `${LABELS[row.status].padEnd(5)} ${row.check.padEnd(CHECK_WIDTH)} ${row.detail}\n`;
  return row.fix === '' ? line : `${line}${' '.repeat(6 + CHECK_WIDTH)}fix: ${row.fix}\n`;
}

export function formatSummary(rows: readonly DoctorRow[], elapsedMs: number): string {
  const failed = rows.filter((r) => r.status === 'fail').length;
  const skipped = rows.filter((r) => r.status === 'skip').length;
  const took = `${(elapsedMs / 1000).toFixed(1)} s`;
  return failed === 0
    ? `doctor: every check passed (${rows.length - skipped} ok, ${skipped} skipped) in ${took}\n`
    : `doctor: ${failed} of ${rows.length} checks failed in ${took}; the fix is under each FAIL row\n`;
}

/** Whether a parsed JSON value from the Python doctor is a row. */
export function isRow(value: unknown): value is DoctorRow {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v['check'] === 'string' &&
    (v['status'] === 'ok' || v['status'] === 'fail' || v['status'] === 'skip') &&
    typeof v['detail'] === 'string' &&
    typeof v['fix'] === 'string' &&
    typeof v['ms'] === 'number'
  );
}
