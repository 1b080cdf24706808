/** Requests in flight and completed, sampled every 250 ms while the level runs. */
export interface TimelinePoint {
  atMs: number;
  inFlight: number;
  completed: number;
}

/** How issuing one level's requests went, apart from what each request measured. */
export interface LevelRun {
  startMs: number;
  endMs: number;
  issued: number;
  /** How late open-loop requests were launched against their schedule, ms. */
  latenessMs: number[];
  timeline: TimelinePoint[];
}
