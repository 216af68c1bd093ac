import { nodeList, nodeTable } from '../../graph/node-table.js';
import type { NodeRegistry } from '../../graph/registry.js';
import { parseCommandArgs } from '../args.js';
import { pluginRegistry, PLUGIN_HELP } from '../pipeline-args.js';

export const nodesHelp = `faceflow nodes [--markdown] [--plugin <module>]

Lists the node types a preset can use (the registry in nodes/index.ts): type, category and what
each does. --markdown prints the README's node table instead.

${PLUGIN_HELP}`;

/** What `faceflow nodes` prints for a registry. */
export function nodesText(reg: NodeRegistry, markdown: boolean): string {
  return markdown ? nodeTable(reg.list()) : nodeList(reg.list());
}

export async function nodesCommand(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, { markdown: { type: 'boolean' }, plugin: { type: 'string', multiple: true } }, nodesHelp);
  process.stdout.write(`${nodesText(await pluginRegistry(values), !!values.markdown)}\n`);
  return 0;
}
