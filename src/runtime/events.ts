/** Progress events, one stream per run, in the order things happen. */
export type RunEvent =
  | { kind: 'start'; nodeId: string; item?: number; items: number }
  | { kind: 'progress'; nodeId: string; fraction: number }
  | { kind: 'done'; nodeId: string; item?: number; items: number; ms: number; cached: boolean }
  | { kind: 'error'; nodeId: string; item?: number; items: number; message: string };
