import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { registry } from '../../nodes/index.js';
import type { Pipeline } from '../../src/graph/schema.js';
import { readImageHeader } from '../../src/io/browser-io.js';
import { addNode, connect, copyFragment, freshId, moveNodes, pasteFragment, removeElements, runSignature, setParam } from '../../src/graph/edit.js';
import { layeredLayout } from '../../src/ui/editor/layout.js';
import { searchNodes } from '../../src/ui/editor/search.js';
import { checkParam, paramFields } from '../../src/ui/inspector/param-fields.js';
import { parsePresetFile } from '../../src/ui/presets/actions.js';
import { commit, initHistory, redo, undo } from '../../src/ui/state/history.js';

const base: Pipeline = {
  schema: 'faceflow/pipeline', version: 2, name: 't', description: '',
  nodes: [
    { id: 'input', type: 'image-input', params: {}, position: { x: 0, y: 0 } },
    { id: 'clahe', type: 'clahe', params: { clipLimit: 2 }, position: { x: 300, y: 0 } },
  ],
  edges: [{ from: { node: 'input', port: 'image' }, to: { node: 'clahe', port: 'image' } }],
};

describe('history', () => {
  it('undoes and redoes every commit, and a new commit clears redo', () => {
    let h = initHistory(1);
    h = commit(h, 2);
    h = commit(h, 3);
    h = undo(h);
    expect(h.present).toBe(2);
    h = redo(h);
    expect(h.present).toBe(3);
    h = commit(undo(h), 4);
    expect(h.future).toEqual([]);
    expect(undo(h).present).toBe(2);
  });

  it('merges commits with one coalesce key only inside the time window', () => {
    let h = initHistory(0);
    h = commit(h, 1, 'slider', 1000);
    h = commit(h, 2, 'slider', 1500);
    expect(undo(h).present).toBe(0);
    h = commit(h, 3, 'slider', 5000);
    expect(undo(h).present).toBe(2);
  });
});

describe('graph edits', () => {
  it('adds nodes with fresh ids and default params', () => {
    const { doc, id } = addNode(base, registry, 'clahe', { x: 10.4, y: 20.6 });
    expect(id).toBe('clahe2');
    const node = doc.nodes.find((n) => n.id === id)!;
    expect(node.params).toEqual(registry.defaultParams('clahe'));
    expect(node.position).toEqual({ x: 10, y: 21 });
    expect(freshId(base, '9lives')).toMatch(/^[A-Za-z_]/);
  });

  it('connect replaces the edge feeding an input; remove drops a node with its edges', () => {
    const two = addNode(base, registry, 'image-input', { x: 0, y: 200 }).doc;
    const wired = connect(two, { node: 'image-input', port: 'image' }, { node: 'clahe', port: 'image' });
    expect(wired.edges).toEqual([{ from: { node: 'image-input', port: 'image' }, to: { node: 'clahe', port: 'image' } }]);
    const removed = removeElements(base, ['input']);
    expect(removed.nodes.map((n) => n.id)).toEqual(['clahe']);
    expect(removed.edges).toEqual([]);
  });

  it('copy/paste keeps inner edges under fresh ids', () => {
    const frag = copyFragment(base, ['input', 'clahe']);
    const { doc, ids } = pasteFragment(base, frag, { x: 40, y: 40 });
    expect(ids).toEqual(['input2', 'clahe2']);
    expect(doc.edges).toContainEqual({ from: { node: 'input2', port: 'image' }, to: { node: 'clahe2', port: 'image' } });
    expect(doc.nodes.find((n) => n.id === 'clahe2')!.position).toEqual({ x: 340, y: 40 });
  });

  it('the run signature ignores positions and labels but not params or edges', () => {
    const sig = runSignature(base);
    expect(runSignature(moveNodes(base, new Map([['clahe', { x: 9, y: 9 }]])))).toBe(sig);
    expect(runSignature(setParam(base, 'clahe', 'clipLimit', 3))).not.toBe(sig);
    expect(runSignature(removeElements(base, [], ['input.image->clahe.image']))).not.toBe(sig);
  });

  it('auto-layout puts each node right of its inputs', () => {
    const laid = layeredLayout({ ...base, nodes: [...base.nodes].reverse() }, () => ({ width: 232, height: 300 }), { width: 1000, height: 800 });
    const x = Object.fromEntries(laid.nodes.map((n) => [n.id, n.position.x]));
    expect(x.clahe).toBeGreaterThan(x.input);
  });

  it('auto-layout folds a long chain into bands when that fits a wide, short canvas better', () => {
    const chain: Pipeline = {
      ...base,
      nodes: Array.from({ length: 8 }, (_, i) => ({ id: `n${i}`, type: 'clahe', params: {}, position: { x: 0, y: 0 } })),
      edges: Array.from({ length: 7 }, (_, i) => ({ from: { node: `n${i}`, port: 'image' }, to: { node: `n${i + 1}`, port: 'image' } })),
    };
    const size = { width: 232, height: 300 };
    const rows = (view: { width: number; height: number }) => new Set(layeredLayout(chain, () => size, view).nodes.map((n) => n.position.y)).size;
    expect(rows({ width: 4000, height: 300 })).toBe(1);
    expect(rows({ width: 1000, height: 800 })).toBeGreaterThan(1);
    const laid = layeredLayout(chain, () => size, { width: 1000, height: 800 });
    const boxes = laid.nodes.map((n) => ({ ...n.position, ...size }));
    for (const a of boxes) for (const b of boxes) {
      if (a === b) continue;
      expect(a.x + a.width <= b.x || b.x + b.width <= a.x || a.y + a.height <= b.y || b.y + b.height <= a.y).toBe(true);
    }
  });
});

describe('palette search', () => {
  it('finds by keyword and offers only nodes that fit a pending wire', () => {
    expect(searchNodes(registry.list(), 'histogram').map((d) => d.type)).toContain('clahe');
    const fits = searchNodes(registry.list(), '', { ref: { node: 'input', port: 'image' }, side: 'out', type: 'Image' });
    expect(fits.length).toBeGreaterThan(0);
    for (const d of fits) expect(Object.values(d.inputs).some((p) => p.type === 'Image')).toBe(true);
    expect(fits.map((d) => d.type)).not.toContain('image-input');
  });
});

describe('param form', () => {
  const schema = z.object({
    clip: z.number().min(0).max(40).default(2).describe('clip limit'),
    tiles: z.number().int().min(1).max(64).default(8),
    big: z.number().int().min(0).default(0),
    mode: z.enum(['a', 'b']).default('a'),
    on: z.boolean().default(true),
    list: z.array(z.number()).default([1, 2]),
  });

  it('turns ranges into sliders, enums into selects, and keeps docs and defaults', () => {
    const f = Object.fromEntries(paramFields(schema).map((x) => [x.key, x]));
    expect(f.clip).toMatchObject({ kind: 'range', min: 0, max: 40, def: 2, doc: 'clip limit', integer: false });
    expect(f.tiles).toMatchObject({ kind: 'range', integer: true, step: 1 });
    expect(f.big.kind).toBe('number');
    expect(f.mode).toMatchObject({ kind: 'enum', options: ['a', 'b'] });
    expect(f.on.kind).toBe('boolean');
    expect(f.list.kind).toBe('numbers');
  });

  it('checks a value against its own field', () => {
    expect(checkParam(schema, 'clip', 50)).toMatchObject({ ok: false });
    expect(checkParam(schema, 'clip', 5)).toEqual({ ok: true, value: 5 });
    expect(checkParam(schema, 'tiles', 2.5)).toMatchObject({ ok: false });
  });
});

describe('preset files', () => {
  it('accepts and migrates a version-1 file, refuses broken ones with a message', () => {
    const v1 = JSON.stringify({ schema: 'faceflow/pipeline', version: 1, name: 'old', nodes: [{ id: 'a', type: 'image-input' }, { id: 'b', type: 'grayscale' }], edges: ['a.image -> b.image'] });
    const ok = parsePresetFile('old.json', v1);
    expect(ok).toMatchObject({ ok: true, note: 'migrated from version 1' });
    expect(parsePresetFile('bad.json', '{"schema":')).toMatchObject({ ok: false, error: expect.stringMatching(/^bad\.json: not valid JSON/) });
    const unknown = JSON.stringify({ ...JSON.parse(v1), version: 2, edges: [], nodes: [{ id: 'a', type: 'nope' }] });
    expect(parsePresetFile('u.json', unknown)).toMatchObject({ ok: false, error: expect.stringContaining('unknown node type "nope"') });
  });
});

describe('image headers', () => {
  it('reads PNG and JPEG sizes without decoding', () => {
    const png = new Uint8Array(33);
    png.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]); // signature, IHDR
    png[24] = 8; // bit depth
    new DataView(png.buffer).setUint32(16, 640);
    new DataView(png.buffer).setUint32(20, 480);
    png[25] = 0;
    expect(readImageHeader(png)).toEqual({ format: 'png', width: 640, height: 480, gray: true });
    // SOI, an APP0 segment of length 4, then SOF0 with height 300, width 400.
    const jpeg = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x04, 0x00, 0x00, 0xff, 0xc0, 0x00, 0x11, 0x08, 0x01, 0x2c, 0x01, 0x90, 0x03, 0, 0, 0, 0]);
    expect(readImageHeader(jpeg)).toMatchObject({ format: 'jpeg', width: 400, height: 300 });
    expect(readImageHeader(new Uint8Array([1, 2, 3]))).toBeUndefined();
  });
});
