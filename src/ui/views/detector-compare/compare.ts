import type { NodeRegistry } from '../../../graph/registry.js';
import type { Pipeline, PortRef } from '../../../graph/schema.js';
import type { DetectionsValue } from '../../../graph/values.js';
import { iou } from '../../../models/mtcnn/boxes.js';

/** Two detectors' faces on one photo, paired by box overlap. */
export interface FaceMatch {
  /** Index pairs (face of A, face of B) with IoU >= the threshold, best overlaps first. */
  both: { a: number; b: number; iou: number; landmarkOffset: number }[];
  onlyA: number[];
  onlyB: number[];
}

const dist = (p: [number, number], q: [number, number]) => Math.hypot(p[0] - q[0], p[1] - q[1]);

/**
 * Greedy one-to-one matching by IoU (the detection benches' rule: a face counts once, at IoU >= 0.5).
 * landmarkOffset: mean distance between the two detectors' five points, in inter-ocular distances
 * (the mean of both faces' eye-to-eye distance), so it reads the same at any face size.
 */
export function matchFaces(a: DetectionsValue, b: DetectionsValue, minIou = 0.5): FaceMatch {
  const candidates: { a: number; b: number; iou: number }[] = [];
  a.boxes.forEach((ba, i) => b.boxes.forEach((bb, j) => {
    const o = iou(ba, bb);
    if (o >= minIou) candidates.push({ a: i, b: j, iou: o });
  }));
  candidates.sort((x, y) => y.iou - x.iou);
  const usedA = new Set<number>();
  const usedB = new Set<number>();
  const both: FaceMatch['both'] = [];
  for (const c of candidates) {
    if (usedA.has(c.a) || usedB.has(c.b)) continue;
    usedA.add(c.a);
    usedB.add(c.b);
    const la = a.landmarks[c.a];
    const lb = b.landmarks[c.b];
    const iod = la?.length >= 2 && lb?.length >= 2 ? (dist(la[0], la[1]) + dist(lb[0], lb[1])) / 2 : 0;
    const offset = iod > 0 && la.length === lb.length ? la.reduce((s, p, k) => s + dist(p, lb[k]), 0) / la.length / iod : NaN;
    both.push({ ...c, landmarkOffset: offset });
  }
  return {
    both,
    onlyA: a.boxes.map((_, i) => i).filter((i) => !usedA.has(i)),
    onlyB: b.boxes.map((_, j) => j).filter((j) => !usedB.has(j)),
  };
}

/** Node types that turn one image into detections (mtcnn, ssd): what can stand in for one another. */
export function detectorTypes(registry: NodeRegistry): string[] {
  return registry.list()
    .filter((d) => {
      const ins = Object.values(d.inputs);
      return ins.length === 1 && ins[0].type === 'Image' && Object.values(d.outputs).some((o) => o.type === 'Detections');
    })
    .map((d) => d.type);
}

/** What feeds a node's single image input, if connected. */
function imageSource(doc: Pipeline, nodeId: string): PortRef | undefined {
  return doc.edges.find((e) => e.to.node === nodeId)?.from;
}

/** The other detector nodes run on the same image as `nodeId` (same source port), in document order. */
export function detectorTwins(doc: Pipeline, registry: NodeRegistry, nodeId: string): string[] {
  const types = new Set(detectorTypes(registry));
  const src = imageSource(doc, nodeId);
  if (!src) return [];
  return doc.nodes
    .filter((n) => n.id !== nodeId && types.has(n.type))
    .filter((n) => {
      const s = imageSource(doc, n.id);
      return s?.node === src.node && s.port === src.port;
    })
    .map((n) => n.id);
}

/** Sum of a detector's per-stage times (its report's stageMs), measured when the node last computed. */
export function detectorMs(report: Record<string, unknown> | undefined): number | undefined {
  const ms = report?.stageMs as Record<string, number> | undefined;
  if (!ms) return undefined;
  const total = Object.values(ms).reduce((s, v) => s + (Number.isFinite(v) ? v : 0), 0);
  return total > 0 ? total : undefined;
}
