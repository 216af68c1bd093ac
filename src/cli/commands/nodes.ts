import { registry } from '../../../nodes/index.js';
import { nodeList, nodeTable } from '../../graph/node-table.js';
import type { NodeRegistry } from '../../graph/registry.js';
import { parseCommandArgs } from '../args.js';

export const nodesHelp = `faceflow nodes [--markdown]

Lists the node types a preset can use (the registry in nodes/index.ts): type, category and what
each does. --markdown prints the README's node table instead.`;

/** What `faceflow nodes` prints for a registry. */
export function nodesText(reg: NodeRegistry, markdown: boolean): string {
  return markdown ? nodeTable(reg.list()) : nodeList(reg.list());
}

export async function nodesCommand(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, { markdown: { type: 'boolean' } }, nodesHelp);
  process.stdout.write(`${nodesText(registry, !!values.markdown)}\n`);
  return 0;
}
