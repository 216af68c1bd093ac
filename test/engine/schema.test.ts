import { describe, expect, it } from 'vitest';
import { loadPipeline, loadPipelineText } from '../../src/graph/load.js';
import { MIGRATIONS } from '../../src/graph/migrations/index.js';
import { PIPELINE_VERSION } from '../../src/graph/schema.js';
import { checkConnection, validatePipeline } from '../../src/graph/validate.js';
import { chain, testRegistry } from './fixtures.js';

describe('pipeline documents', () => {
  it('migrations run from version 1 to the current version with no gaps', () => {
    expect(MIGRATIONS[0].from).toBe(1);
    for (const m of MIGRATIONS) expect(m.to).toBe(m.from + 1);
    expect(MIGRATIONS.at(-1)!.to).toBe(PIPELINE_VERSION);
  });

  it('migrates a version 1 document with text edges', () => {
    const v1 = { schema: 'faceflow/pipeline', version: 1, name: 'old', nodes: [{ id: 'src', type: 'test-gradient' }, { id: 'a', type: 'test-brighten' }], edges: ['src.image -> a.image'] };
    const r = loadPipeline(v1);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.migratedFrom).toBe(1);
    expect(r.pipeline.version).toBe(PIPELINE_VERSION);
    expect(r.pipeline.edges).toEqual([{ from: { node: 'src', port: 'image' }, to: { node: 'a', port: 'image' } }]);
    expect(r.pipeline.nodes[0].position).toEqual({ x: 0, y: 0 });
  });

  it('names the bad edge of a version 1 document', () => {
    const r = loadPipeline({ schema: 'faceflow/pipeline', version: 1, name: 'old', nodes: [], edges: ['src.image a.image'] });
    expect(r).toEqual({ ok: false, error: expect.stringContaining('edges[0]: "src.image a.image" is not of the form') });
  });

  it.each([
    ['{"schema": "faceflow/pipeline", "version": 2, "name": "x", "nodes": [', /not valid JSON/],
    ['[]', /expected a JSON object/],
    ['{"schema": "other", "version": 2}', /"schema" must be "faceflow\/pipeline"/],
    ['{"schema": "faceflow/pipeline", "version": 99, "name": "x", "nodes": []}', /version 99 is newer/],
    ['{"schema": "faceflow/pipeline", "version": 2, "name": "x", "nodes": [{"id": "1a", "type": "t"}]}', /^nodes\[0\]\.id: must start with a letter/],
    ['{"schema": "faceflow/pipeline", "version": 2, "name": "x", "nodes": [{"id": "a"}]}', /^nodes\[0\]\.type:/],
  ])('rejects %s', (text, message) => {
    const r = loadPipelineText(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(message);
  });
});

describe('graph validation', () => {
  const messages = (p = chain()) => validatePipeline(p, testRegistry).map((i) => i.message);

  it('accepts a valid graph', () => expect(messages()).toEqual([]));

  it('names an unknown node type', () => {
    const p = chain();
    p.nodes[1] = { ...p.nodes[1], type: 'sharpen' };
    expect(messages(p)).toContain('node "a": unknown node type "sharpen"');
  });

  it('names a param out of range and an unknown param', () => {
    const p = chain();
    p.nodes[1] = { ...p.nodes[1], params: { amount: 999 } };
    p.nodes[2] = { ...p.nodes[2], params: { amout: 3 } };
    const m = messages(p);
    expect(m.some((x) => /^node "a" \(test-brighten\): params\.amount: .*255/.test(x))).toBe(true);
    expect(m.some((x) => /^node "b" \(test-brighten\): .*amout/.test(x))).toBe(true);
  });

  it('refuses an edge between incompatible ports', () => {
    const p = chain();
    p.edges.push({ from: { node: 'mean', port: 'metrics' }, to: { node: 'b', port: 'image' } });
    expect(messages(p)).toContain('edge mean.metrics -> b.image: cannot connect Metrics to Image');
  });

  it('names a missing required input', () => {
    const p = chain();
    p.edges = p.edges.filter((e) => e.to.node !== 'b');
    expect(messages(p)).toContain('node "b" (test-brighten): required input "image" (Image) is not connected');
  });

  it('finds a cycle', () => {
    const p = chain();
    p.edges = p.edges.filter((e) => e.to.node !== 'a');
    p.edges.push({ from: { node: 'b', port: 'image' }, to: { node: 'a', port: 'image' } });
    expect(messages(p)).toContain('cycle: a -> b -> a');
  });

  it('names edges to unknown nodes and ports', () => {
    const p = chain();
    p.edges.push({ from: { node: 'ghost', port: 'image' }, to: { node: 'a', port: 'image' } });
    p.edges.push({ from: { node: 'src', port: 'picture' }, to: { node: 'b', port: 'image' } });
    const m = messages(p);
    expect(m).toContain('edge ghost.image -> a.image: no node "ghost"');
    expect(m.some((x) => x.startsWith('edge src.picture -> b.image: test-gradient has no output "picture"'))).toBe(true);
  });

  it('checks a prospective connection for the editor', () => {
    const p = chain();
    expect(checkConnection(p, testRegistry, { node: 'src', port: 'image' }, { node: 'b', port: 'image' })).toBeUndefined();
    expect(checkConnection(p, testRegistry, { node: 'b', port: 'image' }, { node: 'a', port: 'image' })).toMatch(/cycle/);
    expect(checkConnection(p, testRegistry, { node: 'mean', port: 'metrics' }, { node: 'a', port: 'image' })).toBe('cannot connect Metrics to Image');
  });
});
