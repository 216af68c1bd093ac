import type { AnyNodeDefinition } from '../src/graph/node-definition';
import { NodeRegistry } from '../src/graph/registry';
import { imageInputNode } from './image-input';

/** Every node type, one line each. Adding a node type = a folder under nodes/ plus one line here. */
export const NODE_DEFINITIONS: AnyNodeDefinition[] = [
  imageInputNode,
];

export const registry = new NodeRegistry(NODE_DEFINITIONS);
