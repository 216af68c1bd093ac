import { registry } from '../../../../nodes/index.js';
import type { CascadeStageName } from '../../../graph/node-definition.js';
import type { Pipeline } from '../../../graph/schema.js';

export type CascadeRole = CascadeStageName;
/** A node type's stage in a stage-node MTCNN cascade (its definition's cascadeStage). */
export const cascadeRoleOf = (type: string): CascadeRole | undefined => registry.get(type)?.cascadeStage;
const isCascade = (t: string): boolean => cascadeRoleOf(t) !== undefined;

/** The ports the cascade flows through (pyramid -> candidates -> ... ); image inputs are side feeds. */
const CHAIN_PORTS = new Set(['pyramid', 'candidates']);

export interface CascadeStage {
  id: string;
  role: CascadeRole;
  /** Short name for the funnel, e.g. "P-Net", "NMS after P-Net". */
  label: string;
  /** The node param that acts as this stage's threshold, and what it means. */
  threshold?: { key: string; label: string };
}

const THRESHOLDS: Partial<Record<CascadeRole, { key: string; label: string }>> = {
  pnet: { key: 'threshold', label: 'P-Net face probability' },
  nms: { key: 'iouThreshold', label: 'NMS overlap' },
  rnet: { key: 'threshold', label: 'R-Net face probability' },
  onet: { key: 'threshold', label: 'O-Net face probability' },
};
const NAMES: Record<CascadeRole, string> = { pyramid: 'Pyramid', pnet: 'P-Net', nms: 'NMS', rnet: 'R-Net', onet: 'O-Net' };

/**
 * The stage-node cascade that `nodeId` belongs to, in flow order (pyramid first when present):
 * walk up the pyramid/candidates edges to the root, then down the first chain from it.
 * Empty when the node is not part of one.
 */
export function cascadeChain(doc: Pipeline, nodeId: string): CascadeStage[] {
  const typeOf = new Map(doc.nodes.map((n) => [n.id, n.type]));
  const t = typeOf.get(nodeId);
  if (!t || !isCascade(t)) return [];
  const chainIn = (id: string) => doc.edges.find((e) => e.to.node === id && CHAIN_PORTS.has(e.to.port) && isCascade(typeOf.get(e.from.node) ?? ''));
  const chainOut = (id: string) => doc.edges.find((e) => e.from.node === id && CHAIN_PORTS.has(e.to.port) && isCascade(typeOf.get(e.to.node) ?? ''));
  let root = nodeId;
  const seen = new Set([root]);
  for (let e = chainIn(root); e && !seen.has(e.from.node); e = chainIn(root)) {
    root = e.from.node;
    seen.add(root);
  }
  const ids = [root];
  const visited = new Set(ids);
  for (let e = chainOut(root); e && !visited.has(e.to.node); e = chainOut(e.to.node)) {
    ids.push(e.to.node);
    visited.add(e.to.node);
  }
  if (ids.length < 2) return [];
  let previous = '';
  return ids.map((id) => {
    const role = cascadeRoleOf(typeOf.get(id)!)!;
    const label = role === 'nms' && previous ? `NMS (${previous})` : NAMES[role];
    if (role !== 'nms') previous = NAMES[role];
    return { id, role, label, threshold: THRESHOLDS[role] };
  });
}

export interface FunnelRow {
  label: string;
  count: number;
  /** The node that produced the count (absent for the mtcnn node's inner stages). */
  nodeId?: string;
  /** What the stage is given and what it keeps (a count that does not drop is not a stage doing nothing). */
  hint?: string;
}

const NMS = 'of two candidates overlapping more than its IoU threshold it keeps the stronger';
/** What each stage is given and keeps, for the funnel rows. */
export const FUNNEL_HINTS: Record<string, string> = {
  'Windows scanned': 'every 12×12 window (stride 2) of every pyramid level, as P-Net is given them',
  'After P-Net': 'windows P-Net scores at least its threshold, thinned by NMS within each pyramid level',
  'After NMS (P-Net)': `given every level’s windows together; ${NMS}. The same count means no two overlapped that much (P-Net already ran NMS within each level)`,
  'After R-Net': 'R-Net is given a 24×24 crop of each kept box; keeps those scoring at least its threshold, with refined boxes',
  'After NMS (R-Net)': `given R-Net’s refined boxes; ${NMS}`,
  'After NMS': `${NMS}`,
  'Faces (O-Net)': 'O-Net is given 48×48 crops; keeps faces scoring at least its threshold, with 5 landmarks',
};
const hintFor = (label: string): string | undefined => FUNNEL_HINTS[label];

type Reports = Record<string, Record<string, unknown> | undefined>;
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** Candidate counts from the stage reports: windows scanned, then what each stage kept. Stops at the first stage without a report. */
export function funnelRows(stages: CascadeStage[], reports: Reports): FunnelRow[] {
  const rows: FunnelRow[] = [];
  for (const s of stages) {
    const r = reports[s.id];
    if (s.role === 'pyramid') continue;
    if (!r) break;
    if (s.role === 'pnet' && num(r.candidatesIn) !== undefined) rows.push({ label: 'Windows scanned', count: num(r.candidatesIn)!, nodeId: s.id, hint: hintFor('Windows scanned') });
    const out = num(r.candidatesOut);
    if (out === undefined) break;
    const label = s.role === 'onet' ? 'Faces (O-Net)' : `After ${s.label}`;
    rows.push({ label, count: out, nodeId: s.id, hint: hintFor(label) });
  }
  return rows;
}

/** The whole-cascade node's report ({ candidatesIn, funnel, stageMs }) as funnel rows. */
export function mtcnnFunnelRows(report: Record<string, unknown> | undefined): FunnelRow[] {
  const f = report?.funnel as Record<string, unknown> | undefined;
  if (!f) return [];
  const rows: FunnelRow[] = [];
  const push = (label: string, v: unknown) => num(v) !== undefined && rows.push({ label, count: num(v)!, hint: hintFor(label) });
  push('After P-Net', f.pnet);
  push('After NMS', f.pnetNms);
  push('After R-Net', f.rnet);
  push('After NMS', f.rnetNms);
  push('Faces (O-Net)', f.onet);
  return rows;
}
