import { registry } from '../../../nodes/index.js';
import type { Pipeline } from '../../graph/schema.js';

/** Every param (defaults filled in) as "node.param" -> JSON, and each node as "+node" (so added or removed nodes count too). */
export function flatParams(p: Pipeline | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const n of p?.nodes ?? []) {
    out.set(`+${n.id}`, n.type);
    const defaults = registry.get(n.type) ? registry.defaultParams(n.type) : {};
    for (const [k, v] of Object.entries({ ...defaults, ...n.params })) out.set(`${n.id}.${k}`, JSON.stringify(v));
  }
  return out;
}

/** What changed from one document to another: "clahe.clipLimit 2 → 3", "+gray", "−gray". Pure. */
export function paramChanges(from: Pipeline, to: Pipeline): string[] {
  const a = flatParams(from);
  const b = flatParams(to);
  const keys = [...new Set([...a.keys(), ...b.keys()])].sort();
  return keys.filter((k) => a.get(k) !== b.get(k)).flatMap((k) => {
    if (k.startsWith('+')) return [a.has(k) ? `−${k.slice(1)}` : k];
    if (!b.has(k) || !a.has(k)) return []; // params of an added or removed node: the node says it
    return [`${k} ${a.get(k)} → ${b.get(k)}`];
  });
}
