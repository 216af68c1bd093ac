import { useCallback, useEffect, useMemo, useRef, useState, type DragEvent, type MouseEvent as ReactMouseEvent } from 'react';
import {
  Background, BackgroundVariant, Controls, MiniMap, ReactFlow, useReactFlow,
  type Connection, type Edge, type EdgeChange, type FinalConnectionState, type IsValidConnection, type NodeChange,
} from '@xyflow/react';
import { registry } from '../../../nodes/index.js';
import { PORT_TYPES, isPortType } from '../../graph/ports.js';
import { edgeId, type Pipeline, type PipelineNode } from '../../graph/schema.js';
import { checkConnection } from '../../graph/validate.js';
import { doc, endLiveEdit, lab, liveEdit, select, toast, useLab } from '../state/store.js';
import { CATEGORY_COLORS } from './categories.js';
import { addNodeAt, tryConnect, type PendingWire } from './commands.js';
import { FlowNode, type FaceflowNode } from './FlowNode.js';
import { GroupNode, NoteNode, type AnnotationFlowNode } from './AnnotationNode.js';
import { annotationFlowId, annotationIdOf, updateAnnotation } from './annotations.js';
import { moveNodes } from '../../graph/edit.js';
import { FIT_OPTIONS } from './layout.js';
import { edgeName } from '../a11y/describe.js';

const titleOf = (type: string) => registry.get(type)?.title;

/** What a screen reader says on a node: its name, id, and its ports. */
function nodeAriaLabel(n: PipelineNode): string {
  const def = registry.get(n.type);
  const name = n.label ?? def?.title ?? n.type;
  if (!def) return `${name} (${n.id}), unknown node type ${n.type}`;
  const ports = (side: string, names: string[]) => (names.length ? `; ${side}: ${names.join(', ')}` : '');
  return `${name} (${n.id})${ports('inputs', Object.keys(def.inputs))}${ports('outputs', Object.keys(def.outputs))}`;
}

/** React Flow's keyboard help, in the lab's words (its own keys plus ours). */
const ARIA_LABELS = {
  'node.a11yDescription.default': 'Node. Enter or Space selects it; arrow keys move it; Alt with an arrow key goes to the nearest node that way; C connects one of its ports; Delete removes it; slash adds a node.',
  'node.a11yDescription.keyboardDisabled': 'Node. Enter or Space selects it; C connects one of its ports; Delete removes it.',
  'edge.a11yDescription.default': 'Connection. Enter or Space selects it; Delete removes it.',
  'controls.ariaLabel': 'Zoom controls',
  'minimap.ariaLabel': 'Mini map of the pipeline',
};

const nodeTypes = { faceflow: FlowNode, note: NoteNode, group: GroupNode };
export const PALETTE_DRAG_TYPE = 'application/x-faceflow-node';

type Measured = { width: number; height: number };

/** The canvas: a view of the pipeline document; every change goes back through the store's history. */
export function Canvas() {
  const pipeline = useLab((s) => s.history.present);
  const selectedNodes = useLab((s) => s.selectedNodes);
  const selectedEdges = useLab((s) => s.selectedEdges);
  const flow = useReactFlow();
  const measured = useRef(new Map<string, Measured>());
  const memo = useRef(new Map<string, { src: PipelineNode; selected: boolean; size?: Measured; extra: string; out: FaceflowNode }>());
  const [measureTick, setMeasureTick] = useState(0);
  const fitRequests = useLab((s) => s.fitRequests);
  useEffect(() => {
    if (fitRequests) fitViewSoon(flow);
  }, [fitRequests, flow]);

  const nodes = useMemo(() => {
    const sel = new Set(selectedNodes);
    const extraPorts = (id: string, type: string, side: 'in' | 'out') => {
      const def = registry.get(type);
      if (def) return [];
      const ports = pipeline.edges.filter((e) => (side === 'in' ? e.to : e.from).node === id).map((e) => (side === 'in' ? e.to : e.from).port);
      return [...new Set(ports)];
    };
    // Groups are drawn behind everything, notes above the wires; neither is part of the run.
    const annotations: AnnotationFlowNode[] = (pipeline.annotations ?? []).map((a) => ({
      id: annotationFlowId(a.id), type: a.kind, position: a.position, width: a.size.width, height: a.size.height,
      zIndex: a.kind === 'group' ? -1 : 1, selected: sel.has(annotationFlowId(a.id)), ariaLabel: `${a.kind === 'group' ? 'Group' : 'Note'} ${a.id}: ${a.text.slice(0, 80)}`,
      data: { annotation: a },
    }));
    const laid = pipeline.nodes.map((n) => {
      const selected = sel.has(n.id);
      const size = measured.current.get(n.id);
      const extraInputs = extraPorts(n.id, n.type, 'in');
      const extraOutputs = extraPorts(n.id, n.type, 'out');
      const extra = `${extraInputs}|${extraOutputs}`;
      const hit = memo.current.get(n.id);
      if (hit && hit.src === n && hit.selected === selected && hit.size === size && hit.extra === extra) return hit.out;
      const out: FaceflowNode = { id: n.id, type: 'faceflow', position: n.position, selected, measured: size, ariaLabel: nodeAriaLabel(n), data: { node: n, extraInputs, extraOutputs } };
      memo.current.set(n.id, { src: n, selected, size, extra, out });
      return out;
    });
    return [...annotations, ...laid];
    // measureTick: re-derive when xyflow reports new node sizes
  }, [pipeline, selectedNodes, measureTick]); // eslint-disable-line react-hooks/exhaustive-deps

  const edges = useMemo<Edge[]>(() => {
    const sel = new Set(selectedEdges);
    return pipeline.edges.map((e) => {
      const from = pipeline.nodes.find((n) => n.id === e.from.node);
      const type = from && registry.get(from.type)?.outputs[e.from.port]?.type;
      const color = type && isPortType(type) ? PORT_TYPES[type].color : '#777';
      const id = edgeId(e);
      return { id, source: e.from.node, sourceHandle: e.from.port, target: e.to.node, targetHandle: e.to.port, selected: sel.has(id), style: { stroke: color }, className: 'ff-edge', ariaLabel: `Connection from ${edgeName(pipeline, e, titleOf)}` };
    });
  }, [pipeline, selectedEdges]);

  const onNodesChange = useCallback((changes: NodeChange<FaceflowNode | AnnotationFlowNode>[]) => {
    let sizes = false;
    const moved = new Map<string, { x: number; y: number }>();
    const annotationEdits: ((d: Pipeline) => Pipeline)[] = [];
    let dragEnded = false;
    let selection: Set<string> | undefined;
    for (const c of changes) {
      const ann = 'id' in c ? annotationIdOf(c.id) : undefined;
      if (ann && c.type === 'dimensions' && c.dimensions && c.resizing !== undefined) {
        const size = { width: Math.round(c.dimensions.width), height: Math.round(c.dimensions.height) };
        annotationEdits.push((d) => updateAnnotation(d, ann, { size }));
        if (c.resizing === false) dragEnded = true;
      } else if (ann && c.type === 'position') {
        const p = c.position;
        if (p) annotationEdits.push((d) => updateAnnotation(d, ann, { position: { x: Math.round(p.x), y: Math.round(p.y) } }));
        if (c.dragging === false) dragEnded = true;
      } else if (ann && c.type !== 'select') {
        continue;
      } else if (c.type === 'dimensions' && c.dimensions) {
        const old = measured.current.get(c.id);
        if (!old || old.width !== c.dimensions.width || old.height !== c.dimensions.height) {
          measured.current.set(c.id, { ...c.dimensions });
          sizes = true;
        }
      } else if (c.type === 'position') {
        if (c.position) moved.set(c.id, c.position);
        if (c.dragging === false) dragEnded = true;
      } else if (c.type === 'select') {
        selection ??= new Set(lab.get().selectedNodes);
        if (c.selected) selection.add(c.id);
        else selection.delete(c.id);
      }
    }
    if (sizes) setMeasureTick((t) => t + 1);
    if (moved.size) liveEdit((d) => moveNodes(d, moved));
    if (annotationEdits.length) liveEdit((d) => annotationEdits.reduce((x, f) => f(x), d));
    if (dragEnded) endLiveEdit();
    if (selection) lab.set({ selectedNodes: [...selection] });
  }, []);

  const onEdgesChange = useCallback((changes: EdgeChange[]) => {
    let selection: Set<string> | undefined;
    for (const c of changes) {
      if (c.type !== 'select') continue;
      selection ??= new Set(lab.get().selectedEdges);
      if (c.selected) selection.add(c.id);
      else selection.delete(c.id);
    }
    if (selection) lab.set({ selectedEdges: [...selection] });
  }, []);

  const isValidConnection: IsValidConnection = useCallback((c) => {
    if (!c.sourceHandle || !c.targetHandle) return false;
    return !checkConnection(doc(), registry, { node: c.source, port: c.sourceHandle }, { node: c.target, port: c.targetHandle });
  }, []);

  const onConnect = useCallback((c: Connection) => {
    if (c.sourceHandle && c.targetHandle) tryConnect({ node: c.source, port: c.sourceHandle }, { node: c.target, port: c.targetHandle });
  }, []);

  const onConnectEnd = useCallback((event: MouseEvent | TouchEvent, state: FinalConnectionState) => {
    if (!state.fromHandle?.id || !state.fromNode) return;
    const fromRef = { node: state.fromNode.id, port: state.fromHandle.id };
    const side = state.fromHandle.type === 'source' ? 'out' : 'in';
    if (state.toHandle?.id && state.isValid === false) {
      const toRef = { node: state.toHandle.nodeId, port: state.toHandle.id };
      const [from, to] = side === 'out' ? [fromRef, toRef] : [toRef, fromRef];
      const reason = checkConnection(doc(), registry, from, to) ?? 'ports of the same direction';
      toast(`Cannot connect ${from.node}.${from.port} → ${to.node}.${to.port}: ${reason}`, 'error');
      return;
    }
    const target = event.target as Element | null;
    if (state.toHandle || !target?.closest('.react-flow__pane')) return;
    const fromNode = doc().nodes.find((n) => n.id === fromRef.node);
    const def = fromNode && registry.get(fromNode.type);
    const spec = def && (side === 'out' ? def.outputs : def.inputs)[fromRef.port];
    if (!spec) return;
    const point = 'changedTouches' in event ? event.changedTouches[0] : event;
    const screen = { x: point.clientX, y: point.clientY };
    const wire: PendingWire = { ref: fromRef, side, type: spec.type };
    lab.set({ quickAdd: { screen, flow: flow.screenToFlowPosition(screen), wire } });
  }, [flow]);

  const onDrop = useCallback((e: DragEvent) => {
    const type = e.dataTransfer.getData(PALETTE_DRAG_TYPE);
    if (!type) return;
    e.preventDefault();
    addNodeAt(type, flow.screenToFlowPosition({ x: e.clientX, y: e.clientY }));
  }, [flow]);

  const onPaneDoubleClick = useCallback((e: ReactMouseEvent) => {
    if (!(e.target as Element).closest('.react-flow__pane')) return;
    const screen = { x: e.clientX, y: e.clientY };
    lab.set({ quickAdd: { screen, flow: flow.screenToFlowPosition(screen) } });
  }, [flow]);

  return (
    <div className="canvas" role="region" aria-label="Pipeline canvas" onDragOver={(e) => e.dataTransfer.types.includes(PALETTE_DRAG_TYPE) && e.preventDefault()} onDrop={onDrop} onDoubleClick={onPaneDoubleClick}>
      <ReactFlow<FaceflowNode | AnnotationFlowNode>
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        onConnect={onConnect}
        onConnectEnd={onConnectEnd}
        isValidConnection={isValidConnection}
        onPaneClick={() => select([])}
        deleteKeyCode={null}
        selectionKeyCode="Shift"
        multiSelectionKeyCode={['Meta', 'Control']}
        zoomOnDoubleClick={false}
        colorMode="system"
        ariaLabelConfig={ARIA_LABELS}
        fitView
        fitViewOptions={FIT_OPTIONS}
        minZoom={0.15}
        maxZoom={2.5}
        defaultEdgeOptions={{ type: 'default' }}
        proOptions={{ hideAttribution: true }}
      >
        <Background variant={BackgroundVariant.Dots} gap={22} size={1.2} color="var(--dots)" />
        <Controls position="bottom-left" showInteractive={false} />
        <MiniMap
          position="bottom-right"
          style={{ width: 168, height: 104 }}
          pannable
          zoomable
          nodeColor={(n) => {
            if (!('node' in n.data)) return 'transparent';
            const def = registry.get((n as FaceflowNode).data.node.type);
            return def ? CATEGORY_COLORS[def.category] : '#e35d6a';
          }}
          maskColor="var(--minimap-mask)"
        />
      </ReactFlow>
      {pipeline.nodes.length === 0 && (
        <div className="canvas-empty">Empty pipeline. Drag a node from the palette, or press <kbd>/</kbd> to search.</div>
      )}
    </div>
  );
}

export function fitViewSoon(flow: ReturnType<typeof useReactFlow>): void {
  requestAnimationFrame(() => void flow.fitView({ ...FIT_OPTIONS, duration: 200 }));
}
