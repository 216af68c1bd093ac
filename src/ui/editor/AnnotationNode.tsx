import { memo } from 'react';
import { NodeResizer, type Node, type NodeProps } from '@xyflow/react';
import type { Annotation } from '../../graph/schema.js';
import { edit } from '../state/store.js';
import { updateAnnotation } from './annotations.js';

export type AnnotationFlowNode = Node<{ annotation: Annotation }, 'note' | 'group'>;

function setText(a: Annotation, text: string): void {
  edit((d) => updateAnnotation(d, a.id, { text }), `annotation-text:${a.id}`);
}

/** A note on the canvas: free text, resizable; saved with the document, never run. */
export const NoteNode = memo(function NoteNode({ data, selected }: NodeProps<AnnotationFlowNode>) {
  const a = data.annotation;
  return (
    <div className="ff-note" data-testid="note" data-annotation-id={a.id}>
      <NodeResizer isVisible={selected} minWidth={120} minHeight={60} />
      <textarea className="nodrag nowheel" aria-label={`Note ${a.id}`} placeholder="Write a note…" value={a.text} onChange={(e) => setText(a, e.target.value)} data-testid="note-text" />
    </div>
  );
});

/** A group: a titled frame drawn behind the nodes it encloses, to organise a large pipeline. */
export const GroupNode = memo(function GroupNode({ data, selected }: NodeProps<AnnotationFlowNode>) {
  const a = data.annotation;
  return (
    <div className="ff-group" data-testid="group" data-annotation-id={a.id}>
      <NodeResizer isVisible={selected} minWidth={160} minHeight={100} />
      <input className="ff-group-title nodrag" aria-label={`Group ${a.id} title`} value={a.text} onChange={(e) => setText(a, e.target.value)} data-testid="group-title" />
    </div>
  );
});
