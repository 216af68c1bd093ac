import type { ComponentType } from 'react';
import type { PortType } from '../../graph/ports.js';
import type { ImageValue } from '../../graph/values.js';

export interface ViewProps {
  /** The value on one output port. */
  value: unknown;
  nodeId: string;
  port: string;
  portType: PortType;
  /** 'thumb' on the node, 'full' in the side view. */
  size: 'thumb' | 'full';
  /** The nearest image upstream of this node (boxes and crops are drawn over it). */
  image?: ImageValue;
}

export interface NodeViewProps {
  nodeId: string;
  nodeType: string;
  params: Record<string, unknown>;
  outputs: Record<string, unknown>;
  report?: Record<string, unknown>;
  size: 'thumb' | 'full';
  image?: ImageValue;
}

export type PortView = ComponentType<ViewProps>;
export type NodeView = ComponentType<NodeViewProps>;
