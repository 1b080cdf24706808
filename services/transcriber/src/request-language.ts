/**
 * The language of one request. A language the caller named is used for every chunk. An empty one
 * means detection, done once per request on its first speech chunk: the engine detects there, and
 * every later chunk waits for that answer and is sent with it. Detecting on each chunk instead would
 * let one call come back in several languages (Whisper misdetects short or noisy chunks), and a
 * call is one language far more often than a chunk is misheard.
 */
export class RequestLanguage {
  private detected: Promise<string> | undefined;
  private settle: ((code: string) => void) | undefined;

  private heard: string | undefined;

  /**
   * `requested`: a Whisper code, or "" to detect. `engineLanguages`: what the engine transcribes
   * (["*"] when multilingual). An engine that knows one language has nothing to detect, so its
   * chunks go out at once with that language instead of waiting for a first answer.
   */
  constructor(
    readonly requested: string,
    private readonly engineLanguages: readonly string[] = ['*'],
  ) {}

  /**
   * The language to send a chunk with, and a callback for the language the engine reports for it.
   * Only the first chunk of a detecting request is sent with "" (detect); the rest wait for it.
   */
  async forChunk(): Promise<{ language: string; report(code: string): void; fail(): void }> {
    const noop = () => undefined;
    if (this.requested !== '') return { language: this.requested, report: noop, fail: noop };
    const sole = this.engineLanguages.length === 1 ? this.engineLanguages[0] : undefined;
    if (sole !== undefined && sole !== '*')
      return {
        language: sole,
        report: (code) => {
          this.heard ??= code;
        },
        fail: noop,
      };
    if (this.detected !== undefined) return { language: await this.detected, report: noop, fail: noop };
    this.detected = new Promise((resolve) => {
      this.settle = resolve;
    });
    return {
      language: '',
      report: (code) => this.settle?.(code),
      // The first chunk failed, so the request fails too; chunks still waiting go out detecting
      // on their own rather than hang.
      fail: () => this.settle?.(''),
    };
  }

  /** What the final result reports: the language asked for, else the one detected ("" before any speech). */
  async resolved(): Promise<string> {
    if (this.requested !== '') return this.requested;
    return this.heard ?? this.detected ?? '';
  }
}
