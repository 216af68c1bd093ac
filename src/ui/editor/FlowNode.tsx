import { memo, useEffect, useState, type CSSProperties } from 'react';
import { Handle, Position, type Node, type NodeProps } from '@xyflow/react';
import { registry } from '../../../nodes/index.js';
import { PORT_TYPES, isPortType } from '../../graph/ports.js';
import type { PipelineNode } from '../../graph/schema.js';
import { useLab, type NodeStatus } from '../state/store.js';
import { NODE_VIEWS, hasPortView, portViewFor } from '../views/index.js';
import { upstreamImage } from '../views/upstream.js';
import { formatMs } from '../format.js';
import { CATEGORY_COLORS } from './categories.js';

export type FlowNodeData = {
  node: PipelineNode;
  /** Ports named by edges but unknown to the registry (unknown node type): drawn so the edges still attach. */
  extraInputs: string[];
  extraOutputs: string[];
};
export type FaceflowNode = Node<FlowNodeData, 'faceflow'>;

const IDLE: NodeStatus = { state: 'idle' };
const STATE_LABEL: Record<NodeStatus['state'], string> = {
  idle: 'idle', queued: 'queued', running: 'running', cached: 'cached', done: 'done', error: 'error', invalid: 'invalid', skipped: 'skipped',
};

function portColor(type: string): string {
  return isPortType(type) ? PORT_TYPES[type].color : '#666';
}

/** Seconds since a node started running, ticking: a long node (MTCNN on a huge photo) shows it is still at work. */
function useElapsed(running: boolean): number {
  const [since, setSince] = useState<number>();
  const [, tick] = useState(0);
  useEffect(() => {
    if (!running) return setSince(undefined);
    setSince(performance.now());
    const t = setInterval(() => tick((x) => x + 1), 1000);
    return () => clearInterval(t);
  }, [running]);
  return since === undefined ? 0 : (performance.now() - since) / 1000;
}

function StatusBadge({ status }: { status: NodeStatus }) {
  const elapsed = useElapsed(status.state === 'running');
  const ms = status.state === 'done' ? ` ${formatMs(status.ms)}` : '';
  const pct = status.state === 'running' ? (status.progress ? ` ${Math.round(status.progress * 100)}%` : '') + (elapsed >= 2 ? ` · ${Math.floor(elapsed)} s` : '') : '';
  return (
    <span className={`ff-badge ff-badge-${status.state}`} data-testid="node-status">
      {STATE_LABEL[status.state]}
      {ms}
      {pct}
    </span>
  );
}

function PortRow({ side, name, type, doc, optional }: { side: 'in' | 'out'; name: string; type: string; doc: string; optional?: boolean }) {
  return (
    <div className={`ff-port ff-port-${side}`} title={`${name}: ${type}${optional ? ' (optional)' : ''}\n${doc}`}>
      <Handle
        type={side === 'in' ? 'target' : 'source'}
        position={side === 'in' ? Position.Left : Position.Right}
        id={name}
        className="ff-handle"
        style={{ background: portColor(type), borderColor: portColor(type) }}
        data-port-type={type}
      />
      <span className="ff-port-name">{name}{optional ? '?' : ''}</span>
    </div>
  );
}

function Preview({ nodeId, node }: { nodeId: string; node: PipelineNode }) {
  const all = useLab((s) => s.outputs);
  const edges = useLab((s) => s.history.present.edges);
  const outputs = all[nodeId];
  const report = useLab((s) => s.reports[nodeId]);
  const def = registry.get(node.type);
  if (!outputs || !def) return null;
  const image = upstreamImage(edges, all, nodeId);
  const NodeView = NODE_VIEWS[node.type];
  if (NodeView) return <div className="ff-preview"><NodeView nodeId={nodeId} nodeType={node.type} params={node.params} outputs={outputs} report={report} size="thumb" image={image} /></div>;
  // null outputs are ports the node left empty (e.g. occlusion drawn on faces only has no image): preview one it filled
  const port = Object.entries(def.outputs).find(([p, spec]) => hasPortView(spec.type) && outputs[p] != null);
  if (!port) return null;
  const View = portViewFor(port[1].type);
  return (
    <div className="ff-preview">
      <View value={outputs[port[0]]} nodeId={nodeId} port={port[0]} portType={port[1].type} size="thumb" image={image} />
    </div>
  );
}

/** A pipeline node on the canvas: typed, coloured ports, run status with time, error message and an output preview. */
export const FlowNode = memo(function FlowNode({ id, data, selected }: NodeProps<FaceflowNode>) {
  const { node } = data;
  const def = registry.get(node.type);
  const status = useLab((s) => s.statuses[id]) ?? IDLE;
  const accent = def ? CATEGORY_COLORS[def.category] : '#e35d6a';
  const inputs = def ? Object.entries(def.inputs) : [];
  const outputs = def ? Object.entries(def.outputs) : [];
  return (
    <div
      className={`ff-node ff-state-${status.state}${selected ? ' ff-selected' : ''}`}
      data-testid="node"
      data-node-id={id}
      data-node-type={node.type}
      data-status={status.state}
      style={{ '--accent': accent } as CSSProperties}
    >
      <header className="ff-node-head">
        <div className="ff-node-titles">
          <span className="ff-node-title">{def?.title ?? node.type}</span>
          <span className="ff-node-id">{node.label ?? id}</span>
        </div>
        <StatusBadge status={status} />
      </header>
      {status.state === 'running' && <div className="ff-progress" style={{ width: `${Math.round((status.progress ?? 0) * 100)}%` }} />}
      <div className="ff-ports">
        <div className="ff-ports-col">
          {inputs.map(([name, spec]) => <PortRow key={name} side="in" name={name} type={spec.type} doc={spec.doc} optional={spec.optional} />)}
          {data.extraInputs.map((name) => <PortRow key={name} side="in" name={name} type="?" doc="unknown port" />)}
        </div>
        <div className="ff-ports-col ff-ports-out">
          {outputs.map(([name, spec]) => <PortRow key={name} side="out" name={name} type={spec.type} doc={spec.doc} />)}
          {data.extraOutputs.map((name) => <PortRow key={name} side="out" name={name} type="?" doc="unknown port" />)}
        </div>
      </div>
      {!def && <div className="ff-node-msg">unknown node type “{node.type}”</div>}
      {status.message && <div className="ff-node-msg" data-testid="node-message">{status.message}</div>}
      <Preview nodeId={id} node={node} />
    </div>
  );
});
