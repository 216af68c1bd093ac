import dagre from '@dagrejs/dagre';
import { registry } from '../../../nodes/index.js';
import type { Pipeline, PipelineNode } from '../../graph/schema.js';

export interface Size {
  width: number;
  height: number;
}

/** Fit options shared by every "fit the pipeline in view": little padding, so the fitted zoom keeps text readable. */
export const FIT_OPTIONS = { padding: 0.06, maxZoom: 1.1 } as const;

const GAP = { node: 36, rank: 64, band: 72 };

/**
 * Layered layout that wraps to the viewport: dagre orders the graph in columns (ranks, left to
 * right, few crossings); a long chain of columns is then folded into bands stacked top to bottom,
 * with the number of bands that gives the largest zoom when the whole graph is fitted into `view`
 * (a one-row graph at a third of the size is what made titles unreadable). Pure.
 */
export function layeredLayout(doc: Pipeline, sizeOf: (n: PipelineNode) => Size, view: Size): Pipeline {
  if (!doc.nodes.length) return doc;
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: 'LR', nodesep: GAP.node, ranksep: GAP.rank, marginx: 0, marginy: 0 });
  g.setDefaultEdgeLabel(() => ({}));
  const sizes = new Map(doc.nodes.map((n) => [n.id, sizeOf(n)]));
  for (const n of doc.nodes) g.setNode(n.id, { ...sizes.get(n.id)! });
  for (const e of doc.edges) if (sizes.has(e.from.node) && sizes.has(e.to.node)) g.setEdge(e.from.node, e.to.node);
  dagre.layout(g);

  // dagre centres every node of a rank on the same x: those are the columns.
  const placed = doc.nodes.map((n) => {
    const p = g.node(n.id) as { x: number; y: number };
    const s = sizes.get(n.id)!;
    return { id: n.id, cx: Math.round(p.x), top: p.y - s.height / 2, ...s };
  });
  const xs = [...new Set(placed.map((p) => p.cx))].sort((a, b) => a - b);
  const column = new Map(placed.map((p) => [p.id, xs.indexOf(p.cx)]));
  const colWidth = xs.map((_, c) => Math.max(...placed.filter((p) => column.get(p.id) === c).map((p) => p.width)));

  const pad = 1 + 2 * FIT_OPTIONS.padding;
  const fitZoom = (width: number, height: number) => Math.min(view.width / (width * pad), view.height / (height * pad), FIT_OPTIONS.maxZoom);
  const arrange = (bands: number) => {
    const perBand = Math.ceil(xs.length / bands);
    const bandOf = (c: number) => Math.floor(c / perBand);
    const extent = Array.from({ length: bands }, (_, b) => {
      const inBand = placed.filter((p) => bandOf(column.get(p.id)!) === b);
      const top = Math.min(...inBand.map((p) => p.top));
      return { top, height: inBand.length ? Math.max(...inBand.map((p) => p.top + p.height)) - top : 0 };
    });
    const colX: number[] = [];
    for (let c = 0; c < xs.length; c++) colX[c] = c % perBand === 0 ? 0 : colX[c - 1] + colWidth[c - 1] + GAP.rank;
    const bandY: number[] = [];
    for (let b = 0; b < bands; b++) bandY[b] = b === 0 ? 0 : bandY[b - 1] + extent[b - 1].height + GAP.band;
    const width = Math.max(...xs.map((_, c) => colX[c] + colWidth[c]));
    const height = bandY[bands - 1] + extent[bands - 1].height;
    const position = (p: (typeof placed)[number]) => {
      const c = column.get(p.id)!;
      const b = bandOf(c);
      return { x: Math.round(colX[c] + (colWidth[c] - p.width) / 2), y: Math.round(bandY[b] + p.top - extent[b].top) };
    };
    return { zoom: fitZoom(width, height), position };
  };

  let best = arrange(1);
  for (let bands = 2; bands <= xs.length; bands++) {
    const next = arrange(bands);
    if (next.zoom > best.zoom + 1e-6) best = next;
  }
  // Reading order: dagre's columns left to right, each top to bottom; wrapped into rows of `perRow`
  // like text, so every wire runs right or down. Branchy graphs pack tighter this way than in bands.
  const order = [...placed].sort((a, b) => column.get(a.id)! - column.get(b.id)! || a.top - b.top);
  const slot = Math.max(...placed.map((p) => p.width));
  const wrap = (perRow: number) => {
    const rows = Math.ceil(order.length / perRow);
    const rowHeight = Array.from({ length: rows }, (_, r) => Math.max(...order.slice(r * perRow, (r + 1) * perRow).map((p) => p.height)));
    const rowY: number[] = [];
    for (let r = 0; r < rows; r++) rowY[r] = r === 0 ? 0 : rowY[r - 1] + rowHeight[r - 1] + GAP.band;
    const width = perRow * slot + (perRow - 1) * GAP.rank;
    const height = rowY[rows - 1] + rowHeight[rows - 1];
    const index = new Map(order.map((p, i) => [p.id, i]));
    const position = (p: (typeof placed)[number]) => {
      const i = index.get(p.id)!;
      return { x: Math.round((i % perRow) * (slot + GAP.rank) + (slot - p.width) / 2), y: rowY[Math.floor(i / perRow)] };
    };
    return { zoom: fitZoom(width, height), position };
  };
  for (let perRow = 1; perRow <= order.length; perRow++) {
    const next = wrap(perRow);
    if (next.zoom > best.zoom + 1e-6) best = next;
  }
  const byId = new Map(placed.map((p) => [p.id, best.position(p)]));
  return { ...doc, nodes: doc.nodes.map((n) => ({ ...n, position: byId.get(n.id)! })) };
}

const NODE_WIDTH = 232;

/**
 * A node's size before (or without) measuring it: the header, a row per port, and room for the
 * output preview a run adds (so the layout still holds once previews appear).
 */
export function estimatedSize(n: PipelineNode): Size {
  const def = registry.get(n.type);
  const rows = def ? Math.max(Object.keys(def.inputs).length, Object.keys(def.outputs).length) : 1;
  return { width: NODE_WIDTH, height: 52 + 22 * rows + 172 };
}

/** The canvas's size on screen; before it exists, the window less the app's fixed panels. */
export function canvasSize(): Size {
  const el = document.querySelector<HTMLElement>('.canvas');
  if (el && el.clientWidth && el.clientHeight) return { width: el.clientWidth, height: el.clientHeight };
  return { width: Math.max(320, innerWidth - 264 - 360), height: Math.max(240, innerHeight - 48 - 132) };
}

/** Lay out for the screen as it is: each node's rendered size when it is larger than the estimate. */
export function layoutForScreen(doc: Pipeline): Pipeline {
  const sizeOf = (n: PipelineNode) => {
    const est = estimatedSize(n);
    const el = document.querySelector<HTMLElement>(`.react-flow__node[data-id="${CSS.escape(n.id)}"]`);
    return el ? { width: Math.max(el.offsetWidth, est.width), height: Math.max(el.offsetHeight, est.height) } : est;
  };
  return layeredLayout(doc, sizeOf, canvasSize());
}
