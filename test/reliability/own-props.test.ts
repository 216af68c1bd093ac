import { beforeAll, describe, expect, it } from 'vitest';
import { registry } from '../../nodes/index.js';
import { compilePipeline } from '../../src/graph/compile.js';
import { loadPipeline } from '../../src/graph/load.js';
import { checkConnection, validatePipeline } from '../../src/graph/validate.js';
import { initBackend } from '../../src/runtime/backend.js';
import { Executor } from '../../src/runtime/executor.js';
import { chain, noIO, testRegistry } from '../engine/fixtures.js';

/**
 * Names from a document are looked up as own properties only (issue 12, item 3): ports named
 * after Object.prototype members must fail validation instead of finding the inherited member.
 */
const INHERITED = ['toString', 'constructor', '__proto__', 'valueOf', 'hasOwnProperty', 'isPrototypeOf', '__defineGetter__'];

beforeAll(async () => {
  await initBackend('cpu');
});

describe('own-property lookups of document names', () => {
  for (const name of INHERITED) {
    it(`an edge to or from a port named ${name} is invalid`, () => {
      const out = chain();
      out.edges[0] = { from: { node: 'src', port: name }, to: { node: 'a', port: 'image' } };
      expect(validatePipeline(out, testRegistry).map((i) => i.message)).toContainEqual(expect.stringContaining(`has no output "${name}"`));
      const inp = chain();
      inp.edges[0] = { from: { node: 'src', port: 'image' }, to: { node: 'a', port: name } };
      expect(validatePipeline(inp, testRegistry).map((i) => i.message)).toContainEqual(expect.stringContaining(`has no input "${name}"`));
      expect(() => compilePipeline(inp, testRegistry)).toThrow();
      expect(checkConnection(chain(), testRegistry, { node: 'src', port: name }, { node: 'a', port: 'image' })).toBe('unknown port');
      expect(checkConnection(chain(), testRegistry, { node: 'src', port: 'image' }, { node: 'a', port: name })).toBe('unknown port');
    });
  }

  it('the same through the public load path with the real node registry (a version 2 document and a version 1 edge string)', () => {
    const doc = {
      schema: 'faceflow/pipeline', version: 2, name: 'x',
      nodes: [{ id: 'input', type: 'image-input', params: {} }, { id: 'clahe', type: 'clahe', params: {} }],
      edges: [{ from: { node: 'input', port: 'constructor' }, to: { node: 'clahe', port: 'image' } }],
    };
    const loaded = loadPipeline(JSON.parse(JSON.stringify(doc)));
    expect(loaded.ok).toBe(true);
    if (loaded.ok) expect(validatePipeline(loaded.pipeline, registry).length).toBeGreaterThan(0);
    const v1 = loadPipeline({ ...doc, version: 1, edges: ['input.valueOf -> clahe.image'] });
    expect(v1.ok).toBe(true);
    if (v1.ok) expect(validatePipeline(v1.pipeline, registry).map((i) => i.message).join()).toMatch(/no output "valueOf"/);
  });

  it('a param named after an inherited member is an unknown param', () => {
    const p = chain();
    p.nodes[1] = { ...p.nodes[1], params: JSON.parse('{"amount": 5, "toString": 1, "__proto__": {"amount": 300}}') };
    const issues = validatePipeline(p, testRegistry).map((i) => i.message).join('\n');
    expect(issues).toMatch(/toString/);
  });

  it('node ids that are Object.prototype member names run like any other (aggregate phase included)', async () => {
    const p = chain();
    const rename: Record<string, string> = { src: 'constructor', a: 'toString', b: 'valueOf', mean: 'hasOwnProperty' };
    p.nodes = p.nodes.map((n) => ({ ...n, id: rename[n.id] }));
    p.edges = p.edges.map((e) => ({ from: { ...e.from, node: rename[e.from.node] }, to: { ...e.to, node: rename[e.to.node] } }));
    // an aggregate followed by an item node reading from it exercises the final phase's lookups
    expect(validatePipeline(p, testRegistry)).toEqual([]);
    const res = await new Executor().run(compilePipeline(p, testRegistry), [{ id: 'w8', name: '8' }], { io: noIO });
    expect(res.items[0].error).toBeUndefined();
    expect(res.final.hasOwnProperty).toBeDefined();
    expect((res.final.hasOwnProperty as unknown as { metrics: { items: number } }).metrics.items).toBe(1);
  });
});

describe('reserved node ids', () => {
  it('a document whose node id or edge end is an Object.prototype member name is refused when loaded', () => {
    for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf']) {
      const doc = { schema: 'faceflow/pipeline', version: 2, name: 'x', nodes: [{ id: name, type: 'image-input', params: {} }], edges: [] };
      const r = loadPipeline(JSON.parse(JSON.stringify(doc)));
      expect(r.ok, name).toBe(false);
      if (!r.ok) expect(r.error).toMatch(/reserved name/);
      const edge = { ...doc, nodes: [{ id: 'a', type: 'image-input', params: {} }], edges: [{ from: { node: name, port: 'image' }, to: { node: 'a', port: 'image' } }] };
      expect(loadPipeline(JSON.parse(JSON.stringify(edge))).ok, `edge ${name}`).toBe(false);
    }
  });
});
