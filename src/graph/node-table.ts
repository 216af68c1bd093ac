import type { AnyNodeDefinition, PortSpec } from './node-definition.js';

const ports = (p: Record<string, PortSpec>) => Object.entries(p).map(([name, spec]) => `${name}: ${spec.type}`).join(', ') || '-';
const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The README's node table, generated from the registry (`faceflow nodes --markdown`; test/engine/node-facts.test.ts guards it). */
export function nodeTable(defs: readonly AnyNodeDefinition[]): string {
  const rows = defs.map((d) => `| \`${d.type}\` | ${d.category} | ${cell(ports(d.inputs))} | ${cell(ports(d.outputs))} | ${cell(d.doc)} |`);
  return ['| node | category | inputs | outputs | what it does |', '|---|---|---|---|---|', ...rows].join('\n');
}

/** One line per node type for a terminal: type, category, what it does. */
export function nodeList(defs: readonly AnyNodeDefinition[]): string {
  const width = Math.max(...defs.map((d) => d.type.length));
  return defs.map((d) => `${d.type.padEnd(width)}  ${d.category.padEnd(11)}  ${d.doc}`).join('\n');
}
