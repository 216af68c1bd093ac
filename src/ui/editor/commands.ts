import { registry } from '../../../nodes/index.js';
import type { PortType } from '../../graph/ports.js';
import { checkConnection } from '../../graph/validate.js';
import type { PortRef } from '../../graph/schema.js';
import { doc, edit, lab, requestFit, select, toast } from '../state/store.js';
import { addNode, connect, copyFragment, pasteFragment, removeElements, type Fragment } from '../../graph/edit.js';
import { layoutForScreen } from './layout.js';
import { addAnnotation, annotationFlowId, annotationIdOf, removeAnnotations } from './annotations.js';
import type { Annotation } from '../../graph/schema.js';

/** A wire dragged from a port and dropped on empty canvas: the node picked next is connected to it. */
export interface PendingWire {
  /** The port the wire started at. */
  ref: PortRef;
  /** 'out' when it started at an output (so the new node needs a fitting input). */
  side: 'in' | 'out';
  type: PortType;
}

export interface QuickAdd {
  screen: { x: number; y: number };
  flow: { x: number; y: number };
  wire?: PendingWire;
  /** The node the keyboard was on when the popup opened: focus goes back to it on Escape. */
  returnTo?: string;
}

/** Add a node (and connect a pending wire to its first fitting port) as one undo step, and select it. */
export function addNodeAt(type: string, flow: { x: number; y: number }, wire?: PendingWire): string | undefined {
  const def = registry.get(type);
  if (!def) return undefined;
  const added = addNode(doc(), registry, type, { x: flow.x - 20, y: flow.y - 16 });
  let next = added.doc;
  if (wire) {
    const ports = Object.entries(wire.side === 'out' ? def.inputs : def.outputs);
    const port = ports.find(([, spec]) => spec.type === wire.type)?.[0];
    if (port) {
      const self = { node: added.id, port };
      const [from, to] = wire.side === 'out' ? [wire.ref, self] : [self, wire.ref];
      const reason = checkConnection(next, registry, from, to);
      if (reason) toast(`Cannot connect: ${reason}`, 'error');
      else next = connect(next, from, to);
    }
  }
  edit(next);
  select([added.id]);
  return added.id;
}

/** Try to connect; refuse with a visible reason. */
export function tryConnect(from: PortRef, to: PortRef): boolean {
  const reason = checkConnection(doc(), registry, from, to);
  if (reason) {
    toast(`Cannot connect ${from.node}.${from.port} → ${to.node}.${to.port}: ${reason}`, 'error');
    return false;
  }
  edit((d) => connect(d, from, to));
  return true;
}

export function deleteSelection(): void {
  const { selectedNodes, selectedEdges } = lab.get();
  const notes = selectedNodes.flatMap((id) => annotationIdOf(id) ?? []);
  edit((d) => removeAnnotations(removeElements(d, selectedNodes, selectedEdges), notes));
  select([]);
}

let clipboard: Fragment | undefined;
let pasteCount = 0;

export function copySelection(): void {
  const ids = lab.get().selectedNodes;
  if (!ids.length) return;
  clipboard = copyFragment(doc(), ids);
  pasteCount = 0;
  navigator.clipboard?.writeText(JSON.stringify(clipboard, null, 2)).catch(() => undefined);
  toast(`Copied ${ids.length} node${ids.length > 1 ? 's' : ''}`);
}

export function cutSelection(): void {
  copySelection();
  deleteSelection();
}

export function paste(): void {
  if (!clipboard?.nodes.length) return;
  pasteCount++;
  const r = pasteFragment(doc(), clipboard, { x: 40 * pasteCount, y: 40 * pasteCount });
  edit(r.doc);
  select(r.ids);
}

export function duplicateSelection(): void {
  const ids = lab.get().selectedNodes;
  if (!ids.length) return;
  const r = pasteFragment(doc(), copyFragment(doc(), ids), { x: 40, y: 40 });
  edit(r.doc);
  select(r.ids);
}

export function selectAll(): void {
  select(doc().nodes.map((n) => n.id));
}

/** Lay the graph out in layers wrapped to the canvas (one undo step), then fit it in view. */
export function layout(): void {
  edit(layoutForScreen);
  requestFit();
}

/** Add a note or a group at a point of the canvas (one undo step) and select it. */
export function addAnnotationAt(kind: Annotation['kind'], flow: { x: number; y: number }): void {
  const r = addAnnotation(doc(), kind, flow);
  edit(r.doc);
  select([annotationFlowId(r.id)]);
}
