import { describe, expect, it } from 'vitest';
import { registry } from '../../nodes/index.js';
import type { Pipeline } from '../../src/graph/schema.js';
import { connectionChoices } from '../../src/ui/a11y/connections.js';
import { describeChange } from '../../src/ui/a11y/describe.js';
import { connect, removeElements, setParam } from '../../src/graph/edit.js';

const title = (t: string) => registry.get(t)?.title;
const three: Pipeline = {
  schema: 'faceflow/pipeline', version: 2, name: 'k', description: '',
  nodes: [
    { id: 'image-input', type: 'image-input', params: {}, position: { x: 0, y: 0 } },
    { id: 'mtcnn', type: 'mtcnn', params: {}, position: { x: 300, y: 0 } },
    { id: 'annotate', type: 'annotate', params: {}, position: { x: 600, y: 0 } },
  ],
  edges: [],
};

describe('keyboard connections', () => {
  it('offers every connection the graph accepts, from and to the node, in words', () => {
    const labels = connectionChoices(three, registry, 'mtcnn').map((c) => c.label);
    expect(labels).toContain('MTCNN detector detections to Annotate detections detections (Detections)');
    expect(labels).toContain('Image input image to MTCNN detector image (Image)');
    // Image does not fit Detections, and a node never feeds itself.
    expect(labels.some((l) => /MTCNN detector image to Annotate detections detections/.test(l))).toBe(false);
    expect(labels.some((l) => /to MTCNN detector .* \(/.test(l) && l.startsWith('MTCNN'))).toBe(false);
  });

  it('leaves out edges already there, refuses cycles, and lists inputs already fed last', () => {
    const d = connect(three, { node: 'image-input', port: 'image' }, { node: 'mtcnn', port: 'image' });
    const choices = connectionChoices(d, registry, 'image-input');
    expect(choices.some((c) => c.to.node === 'mtcnn' && c.to.port === 'image')).toBe(false);
    expect(choices.map((c) => `${c.to.node}.${c.to.port}`)).toEqual(['annotate.image']);
    const more = connectionChoices(connect(d, { node: 'mtcnn', port: 'detections' }, { node: 'annotate', port: 'detections' }), registry, 'annotate');
    // annotate's output image cannot go back into image-input (no inputs) nor into mtcnn (a cycle).
    expect(more.some((c) => c.from.node === 'annotate')).toBe(false);
  });
});

describe('live-region sentences', () => {
  it('says what an edit did: added, connected, set, deleted', () => {
    const two = { ...three, nodes: three.nodes.slice(0, 2) };
    expect(describeChange(two, three, title)).toBe('added Annotate detections');
    const wired = connect(three, { node: 'mtcnn', port: 'detections' }, { node: 'annotate', port: 'detections' });
    expect(describeChange(three, wired, title)).toBe('connected MTCNN detector detections to Annotate detections detections');
    expect(describeChange(wired, three, title)).toBe('disconnected MTCNN detector detections to Annotate detections detections');
    expect(describeChange(wired, setParam(wired, 'mtcnn', 'minFaceSize', 40), title)).toBe('set MTCNN detector minFaceSize to 40');
    // Deleting a node names it, not the edges that went with it.
    expect(describeChange(wired, removeElements(wired, ['mtcnn'], []), title)).toBe('deleted MTCNN detector');
    const moved = { ...three, nodes: three.nodes.map((n) => ({ ...n, position: { x: n.position.x + 10, y: 0 } })) };
    expect(describeChange(three, moved, title)).toBeUndefined();
  });
});
