import type { AnyNodeDefinition } from '../src/graph/node-definition';
import { NodeRegistry } from '../src/graph/registry';

/** Every node type, one line each. Adding a node type = a folder under nodes/ plus one line here. */
export const NODE_DEFINITIONS: AnyNodeDefinition[] = [
];

export const registry = new NodeRegistry(NODE_DEFINITIONS);
