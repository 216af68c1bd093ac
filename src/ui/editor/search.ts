import type { AnyNodeDefinition } from '../../graph/node-definition.js';
import type { PendingWire } from './commands.js';

/** Does this node type have a port the pending wire can plug into? */
export function fitsWire(def: AnyNodeDefinition, wire?: PendingWire): boolean {
  if (!wire) return true;
  return Object.values(wire.side === 'out' ? def.inputs : def.outputs).some((p) => p.type === wire.type);
}

/** Node types matching every word of the query (title, type, category, keywords, doc), best matches first. */
export function searchNodes(defs: AnyNodeDefinition[], query: string, wire?: PendingWire): AnyNodeDefinition[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  const scored = defs.filter((d) => fitsWire(d, wire)).map((d) => {
    const title = d.title.toLowerCase();
    const hay = [d.title, d.type, d.category, ...(d.keywords ?? []), d.doc].join(' ').toLowerCase();
    if (!words.every((w) => hay.includes(w))) return undefined;
    const score = words.reduce((s, w) => s + (title.startsWith(w) ? 3 : title.includes(w) || d.type.includes(w) ? 2 : 1), 0);
    return { d, score };
  });
  return scored
    .filter((x): x is { d: AnyNodeDefinition; score: number } => !!x)
    .sort((a, b) => b.score - a.score || a.d.title.localeCompare(b.d.title))
    .map((x) => x.d);
}
