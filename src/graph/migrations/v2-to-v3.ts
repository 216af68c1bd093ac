/**
 * Version 3 adds `annotations`: notes and groups (titled frames) on the canvas, saved with the
 * document but never run. A version 2 document has none.
 */
export const v2ToV3 = {
  from: 2,
  to: 3,
  migrate(doc: Record<string, unknown>): Record<string, unknown> {
    return { ...doc, version: 3, annotations: [] };
  },
};
