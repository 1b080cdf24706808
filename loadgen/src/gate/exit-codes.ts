/** The loadgen's exit codes, for CI gates; listed in --help and the README. */
export const EXIT = {
  ok: 0,
  /** Some requests failed, or the abort rule stopped the run. */
  requestsFailed: 1,
  /** Bad flags, or the preflight found the target or the source unusable. */
  usage: 2,
  /** A --threshold failed (k6 uses 99 too). */
  thresholdsFailed: 99,
  interrupted: 130,
} as const;

export const EXIT_CODES_HELP = `Exit codes:
  0    every request succeeded and every --threshold passed
  1    some requests failed, or the abort rule stopped the run
  2    bad usage, or the preflight failed (target unreachable or not a callscribe gateway, no usable audio)
  99   a --threshold failed (takes precedence over 1)
  130  interrupted twice with Ctrl-C
`;
