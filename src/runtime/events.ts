/** Progress events, one stream per run, in the order things happen. */
export type RunEvent =
  | { kind: 'start'; nodeId: string; item?: number; items: number }
  | { kind: 'progress'; nodeId: string; fraction: number }
  | { kind: 'done'; nodeId: string; item?: number; items: number; ms: number; cached: boolean }
  | { kind: 'error'; nodeId: string; item?: number; items: number; message: string };

/**
 * A run's events as item progress for a long run: item i starting means items 0..i-1 are
 * finished; `report(finished, failed)` at most once per `everyMs`.
 */
export function itemProgress(report: (finished: number, failed: number) => void, everyMs = 100): (e: RunEvent) => void {
  let finished = 0;
  let failed = 0;
  let last = 0;
  return (e) => {
    if (e.kind === 'progress' || e.item === undefined) return;
    if (e.kind === 'error') failed++;
    finished = Math.max(finished, e.item);
    const now = performance.now();
    if (now - last > everyMs) {
      last = now;
      report(finished, failed);
    }
  };
}
