import { beforeAll, describe, expect, it } from 'vitest';
import { deletePreset, importPresetFile, parsePresetFile } from '../../src/ui/presets/actions.js';
import { readUserPresets, writeUserPresets } from '../../src/ui/presets/storage.js';
import { createLabStore, doc, initHistory, lab } from '../../src/ui/state/store.js';
import { chain } from '../engine/fixtures.js';

/**
 * The lab (issue 12, item 5): an import is atomic (the whole document is validated, edges
 * included, before the graph changes), and deleting a saved preset can be undone.
 * Node has no localStorage: a plain in-memory one stands in for the browser's (the code under
 * test is the lab's own preset logic, not the storage).
 */
beforeAll(() => {
  const data = new Map<string, string>();
  (globalThis as { localStorage?: unknown }).localStorage = {
    getItem: (k: string) => data.get(k) ?? null,
    setItem: (k: string, v: string) => void data.set(k, v),
    removeItem: (k: string) => void data.delete(k),
  };
  const start = { ...chain(), nodes: [{ id: 'input', type: 'image-input', params: {}, position: { x: 0, y: 0 } }], edges: [], name: 'before' };
  createLabStore({
    history: initHistory(start), selectedNodes: [], selectedEdges: [], statuses: {}, outputs: {}, reports: {}, running: false, pending: false,
    runs: 0, backendSetting: 'auto', input: { kind: 'sample', name: 'sample1.jpg' }, autoRun: false, toasts: [], helpOpen: false,
  } as Parameters<typeof createLabStore>[0]);
});

const bad = JSON.stringify({
  schema: 'faceflow/pipeline', version: 2, name: 'bad',
  nodes: [{ id: 'input', type: 'image-input', params: {} }, { id: 'clahe', type: 'clahe', params: { clipLimit: 'lots' } }],
  edges: [{ from: { node: 'input', port: 'image' }, to: { node: 'clahe', port: 'image' } }, { from: { node: 'ghost', port: 'image' }, to: { node: 'clahe', port: 'image' } }],
});

describe('atomic import', () => {
  it('a file with a bad param and an edge to a missing node is refused, naming both', () => {
    const r = parsePresetFile('bad.json', bad);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error).toMatch(/clipLimit/);
      expect(r.error).toMatch(/no node "ghost"/);
    }
  });

  it('importing it changes nothing: the graph before the import is still the graph', async () => {
    const before = doc();
    const error = await importPresetFile(new File([bad], 'bad.json', { type: 'application/json' }));
    expect(error).toMatch(/^bad\.json: /);
    expect(doc()).toBe(before);
    expect(lab.get().history.past).toHaveLength(0);
  });

  it('an unfinished graph (an input not connected) still imports', async () => {
    const text = JSON.stringify({ schema: 'faceflow/pipeline', version: 2, name: 'unfinished', nodes: [{ id: 'clahe', type: 'clahe', params: {} }], edges: [] });
    expect(await importPresetFile(new File([text], 'u.json'))).toBeUndefined();
    expect(doc().name).toBe('unfinished');
  });

  it('ports named after inherited members are refused on import', () => {
    const text = JSON.stringify({ schema: 'faceflow/pipeline', version: 2, name: 'x', nodes: [{ id: 'input', type: 'image-input', params: {} }, { id: 'clahe', type: 'clahe', params: {} }], edges: [{ from: { node: 'input', port: 'toString' }, to: { node: 'clahe', port: 'image' } }] });
    expect(parsePresetFile('x.json', text)).toMatchObject({ ok: false, error: expect.stringMatching(/no output "toString"/) });
  });
});

describe('undoable delete', () => {
  it('deleting a saved preset offers Undo, which puts it back', () => {
    const pipeline = doc();
    writeUserPresets([{ name: 'a', savedAt: 1, pipeline: { ...pipeline, name: 'a' } }, { name: 'b', savedAt: 2, pipeline: { ...pipeline, name: 'b' } }]);
    expect(deletePreset('a').map((p) => p.name)).toEqual(['b']);
    const t = lab.get().toasts.at(-1)!;
    expect(t.text).toBe('Deleted “a”');
    expect(t.action?.label).toBe('Undo');
    t.action!.run();
    expect(readUserPresets().map((p) => p.name)).toEqual(['a', 'b']);
  });
});
