import type { Annotation, Pipeline } from '../../graph/schema.js';

/** Canvas ids of notes and groups: prefixed, so they never meet a pipeline node's id. */
export const ANNOTATION_PREFIX = 'ann:';
export const annotationFlowId = (id: string) => `${ANNOTATION_PREFIX}${id}`;
export const annotationIdOf = (flowId: string) => (flowId.startsWith(ANNOTATION_PREFIX) ? flowId.slice(ANNOTATION_PREFIX.length) : undefined);

const SIZE = { note: { width: 220, height: 130 }, group: { width: 520, height: 340 } };
const TEXT = { note: '', group: 'Group' };

/** Add a note or a group (centred on `at`); returns the new document and the annotation's id. Pure. */
export function addAnnotation(doc: Pipeline, kind: Annotation['kind'], at: { x: number; y: number }): { doc: Pipeline; id: string } {
  const taken = new Set((doc.annotations ?? []).map((a) => a.id));
  let i = 1;
  while (taken.has(`${kind}${i}`)) i++;
  const size = SIZE[kind];
  const a: Annotation = { id: `${kind}${i}`, kind, text: TEXT[kind], position: { x: Math.round(at.x - size.width / 2), y: Math.round(at.y - size.height / 2) }, size };
  return { doc: { ...doc, annotations: [...(doc.annotations ?? []), a] }, id: a.id };
}

export function updateAnnotation(doc: Pipeline, id: string, patch: Partial<Omit<Annotation, 'id' | 'kind'>>): Pipeline {
  return { ...doc, annotations: (doc.annotations ?? []).map((a) => (a.id === id ? { ...a, ...patch } : a)) };
}

export function removeAnnotations(doc: Pipeline, ids: Iterable<string>): Pipeline {
  const gone = new Set(ids);
  if (!gone.size || !doc.annotations?.some((a) => gone.has(a.id))) return doc;
  return { ...doc, annotations: doc.annotations.filter((a) => !gone.has(a.id)) };
}
