import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { NODE_DEFINITIONS, registry } from '../../nodes/index.js';
import { nodesText } from '../../src/cli/commands/nodes.js';
import { loadPipelineText } from '../../src/graph/load.js';
import { CASCADE_STAGES, type AnyNodeDefinition } from '../../src/graph/node-definition.js';
import { nodeTable } from '../../src/graph/node-table.js';
import { NodeRegistry } from '../../src/graph/registry.js';
import type { ImageValue } from '../../src/graph/values.js';
import { createNodeIO } from '../../src/io/nodejs-io.js';
import { initBackend } from '../../src/runtime/backend.js';
import { Executor } from '../../src/runtime/executor.js';
import { runPipeline, type RunHost } from '../../src/runtime/run.js';
import { searchNodes } from '../../src/ui/editor/search.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('node facts live on the node definitions', () => {
  it("the README's node table is the one generated from the registry", () => {
    const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
    const m = /<!-- node-table[^>]*-->\n([\s\S]*?)\n<!-- \/node-table -->/.exec(readme);
    expect(m, 'README.md has no <!-- node-table --> block').not.toBeNull();
    expect(m![1], 'README node table is stale: paste `npx faceflow nodes --markdown` between the node-table markers').toBe(nodeTable(registry.list()));
  });

  it('every React view is keyed by a registered node type', () => {
    // read from the source: the views module needs a browser to load
    const src = readFileSync(path.join(root, 'src/ui/views/index.ts'), 'utf8');
    const map = /NODE_VIEWS[^=]*=\s*\{([\s\S]*?)\n\};/.exec(src)?.[1] ?? '';
    const keys = [...map.matchAll(/^\s*'?([\w-]+)'?\s*:/gm)].map((k) => k[1]);
    const silent = [.../VIEWS_WITHOUT_OUTPUT = new Set\(\[([^\]]*)\]/.exec(src)![1].matchAll(/'([\w-]+)'/g)].map((k) => k[1]);
    expect(keys.length).toBeGreaterThan(5);
    expect([...keys, ...silent].filter((t) => !registry.get(t))).toEqual([]);
  });

  it('trainable, disk-cacheable, default threshold and cascade stage are declared by the nodes', () => {
    const having = (pick: (d: AnyNodeDefinition) => unknown) => Object.fromEntries(registry.list().filter((d) => pick(d) !== undefined).map((d) => [d.type, pick(d)]));
    expect(having((d) => d.trainable)).toEqual({ 'attention-gate': 'gate', 'fusion-concat': 'concat', 'fusion-attention': 'attention', 'fusion-transformer': 'transformer' });
    expect(having((d) => d.diskCacheable)).toEqual({ mobilefacenet: true, 'dlib-resnet': true, mtcnn: true });
    expect(having((d) => d.defaultThreshold)).toEqual({ mobilefacenet: 0.4, 'dlib-resnet': 0.91 });
    expect(Object.values(having((d) => d.cascadeStage)).sort()).toEqual([...CASCADE_STAGES].sort());
  });
});

describe('a new node type needs its folder and one registry line', () => {
  // a folder beside the repo's sources (so it resolves zod and src/ like nodes/ does), removed afterwards
  // test-artifacts/ is ignored by git, so a clean clone does not have it yet
  mkdirSync(path.join(root, 'test-artifacts'), { recursive: true });
  const dir = mkdtempSync(path.join(root, 'test-artifacts', 'toy-node-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('shows up in the palette, the CLI, the README table, and runs', async () => {
    mkdirSync(path.join(dir, 'toy-invert'));
    const graph = path.relative(path.join(dir, 'toy-invert'), path.join(root, 'src/graph/node-definition')).split(path.sep).join('/');
    writeFileSync(path.join(dir, 'toy-invert', 'index.ts'), `import { z } from 'zod';
import { defineNode } from '${graph}';
export const toyInvertNode = defineNode({
  type: 'toy-invert', title: 'Toy invert', category: 'Preprocess', doc: 'Inverts an 8-bit image (a test node).', mode: 'item',
  inputs: { image: { type: 'Image', doc: 'Any 8-bit image.' } },
  outputs: { image: { type: 'Image', doc: 'Its negative.' } },
  params: z.object({ offset: z.number().default(255).describe('Subtracted from') }),
  kernel({ image }, params) {
    return { image: { ...image, data: image.data.map((v) => params.offset - v) } };
  },
});
`);
    const { toyInvertNode } = (await import(pathToFileURL(path.join(dir, 'toy-invert', 'index.ts')).href)) as { toyInvertNode: AnyNodeDefinition };
    const reg = new NodeRegistry([...NODE_DEFINITIONS, toyInvertNode]);

    expect(searchNodes(reg.list(), 'invert').map((d) => d.type)).toContain('toy-invert');
    expect(nodesText(reg, false)).toMatch(/^toy-invert +Preprocess +Inverts an 8-bit image/m);
    expect(nodeTable(reg.list())).toContain('| `toy-invert` | Preprocess | image: Image | image: Image | Inverts an 8-bit image (a test node). |');

    const loaded = loadPipelineText(JSON.stringify({
      schema: 'faceflow/pipeline', version: 2, name: 'toy',
      nodes: [{ id: 'in', type: 'image-input' }, { id: 'neg', type: 'toy-invert' }],
      edges: [{ from: { node: 'in', port: 'image' }, to: { node: 'neg', port: 'image' } }],
    }));
    if (!loaded.ok) throw new Error(loaded.error);
    const backend = await initBackend('cpu');
    const host: RunHost = { prepare: async () => ({ executor: new Executor(), io: createNodeIO(), backend }) };
    const image: ImageValue = { width: 2, height: 1, channels: 1, data: new Uint8Array([0, 200]) };
    const run = await runPipeline(loaded.pipeline, [{ id: 'toy', name: 'toy', image }], { host, registry: reg });
    expect(run.status).toBe('done');
    expect([...(run.items[0].outputs.neg.image as ImageValue).data]).toEqual([255, 55]);
  });
});
