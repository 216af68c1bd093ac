import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { faceflow, repoRoot } from '../faceflow-cli.js';
import { createRegistry, loadRegistry, runImages, type AnyNodeDefinition, type ImageResult, type Pipeline } from '../../src/index.js';
import { encodePngNode } from '../../src/io/nodejs-io.js';
import { rebuildRegistry } from '../../src/runtime/plugins.js';

// beside the sources, so the plugin resolves zod as a user's project would (test-artifacts/ is git-ignored)
mkdirSync(path.join(repoRoot, 'test-artifacts'), { recursive: true });
const dir = mkdtempSync(path.join(repoRoot, 'test-artifacts', 'plugins-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const NODE = (type: string, extra = '') => `{
  type: '${type}', title: 'Shade', category: 'Preprocess', doc: 'Adds a constant.', mode: 'item',
  inputs: { image: { type: 'Image', doc: 'in' } }, outputs: { image: { type: 'Image', doc: 'out' } },
  params: z.object({ add: z.number().default(10).describe('added') }),
  kernel({ image }, params, ctx) {
    ctx.report({ threadId });
    return { image: { ...image, data: Uint8Array.from(image.data, (v) => Math.min(255, v + params.add)) } };
  },${extra}
}`;
const write = (name: string, text: string) => {
  writeFileSync(path.join(dir, name), `import { threadId } from 'node:worker_threads';\nimport { z } from 'zod';\n${text}\n`);
  return path.join(dir, name);
};
const shade = write('shade.js', `export const shadeNode = ${NODE('shade')};\nexport default [shadeNode];`);
const empty = write('empty.js', 'export const answer = 42;');
const clash = write('clash.js', `export default ${NODE('mtcnn')};`);
const badPort = write('bad-port.js', `export const node = ${NODE('bad-port').replace("outputs: { image: { type: 'Image'", "outputs: { image: { type: 'Picture'")};`);
const broken = write('broken.js', 'export const = 1;');

const pipeline: Pipeline = {
  schema: 'faceflow/pipeline', version: 3, name: 'shade', description: '',
  nodes: [{ id: 'in', type: 'image-input', params: {}, position: { x: 0, y: 0 } }, { id: 'shade', type: 'shade', params: { add: 5 }, position: { x: 200, y: 0 } }],
  edges: [{ from: { node: 'in', port: 'image' }, to: { node: 'shade', port: 'image' } }],
};
const images = [0, 40, 80, 120].map((level) => {
  const file = path.join(dir, `gray-${level}.png`);
  writeFileSync(file, encodePngNode({ width: 4, height: 2, channels: 1, data: new Uint8Array(8).fill(level) }));
  return file;
});

/** Array.fromAsync (Node 22+) for Node 20. */
async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('plugins', () => {
  it('a bad plugin is one line naming it and what is wrong (exit 2)', async () => {
    const cases: [string, RegExp][] = [
      [path.join(dir, 'missing.js'), /^faceflow: plugin \S*missing\.js: no such file/],
      [empty, /^faceflow: plugin \S*empty\.js: exports no node definitions/],
      [clash, /^faceflow: plugin \S*clash\.js: node type "mtcnn" is a built-in node type$/],
    ];
    for (const [plugin, message] of cases) {
      const r = await faceflow('nodes', '--plugin', plugin);
      expect(r.code, plugin).toBe(2);
      expect(r.stderr.trim().split('\n'), plugin).toHaveLength(1);
      expect(r.stderr.trim()).toMatch(message);
    }
    const ok = await faceflow('nodes', '--plugin', shade);
    expect(ok.stdout).toMatch(/^shade +Preprocess +Adds a constant\.$/m);
    // the same checks through the API (no process per case)
    await expect(loadRegistry({ plugins: [badPort] })).rejects.toThrow(/^plugin \S*bad-port\.js: node "bad-port": outputs\.image: unknown port type "Picture"$/);
    await expect(loadRegistry({ plugins: [broken] })).rejects.toThrow(/^plugin \S*broken\.js: cannot load it: /);
    await expect(loadRegistry({ plugins: [shade, shade] })).rejects.toThrow(/node type "shade" is already defined by plugin \S*shade\.js$/);
  });

  it('worker threads rebuild the built-ins plus the plugins, and runImages closes them when the loop breaks', async () => {
    const registry = await loadRegistry({ plugins: [shade] });
    expect(registry.plugins).toEqual([pathToFileURL(shade).href]);
    const rebuilt = await rebuildRegistry(registry.moduleUrl!, registry.plugins);
    expect(rebuilt.list().map((d) => d.type)).toEqual(registry.list().map((d) => d.type));

    // OS threads of this process (Linux): two worker threads while the loop runs, gone after it breaks
    const threads = () => readdirSync('/proc/self/task').length;
    const before = threads();
    const seen: ImageResult[] = [];
    let during = 0;
    for await (const r of runImages(pipeline, images, { registry, workers: 2, batchSize: 2 })) {
      seen.push(r);
      during = Math.max(during, threads());
      if (seen.length === 3) break;
    }
    expect(seen.map((r) => [r.index, r.item.name])).toEqual([[0, 'gray-0.png'], [1, 'gray-40.png'], [2, 'gray-80.png']]);
    for (const r of seen) {
      expect(r.error).toBeUndefined();
      expect(r.reports.shade.threadId).toBeGreaterThan(0);
      expect([...(r.outputs.shade.image as { data: Uint8Array }).data]).toEqual(new Array(8).fill(Number(r.item.name.match(/\d+/)![0]) + 5));
    }
    expect(during).toBeGreaterThanOrEqual(before + 2);
    expect(threads()).toBeLessThanOrEqual(during - 2);
  });

  it('node types defined in this thread run in-process and are refused for worker threads; aggregates are refused', async () => {
    const { shadeNode } = (await import(pathToFileURL(shade).href)) as { shadeNode: AnyNodeDefinition };
    const registry = createRegistry([shadeNode]);
    const [r] = await collect(runImages(pipeline, images.slice(1, 2), { registry }));
    expect([...(r.outputs.shade.image as { data: Uint8Array }).data]).toEqual(new Array(8).fill(45));
    expect(r.reports.shade.threadId).toBe(0);
    await expect(collect(runImages(pipeline, images, { registry, workers: 2 }))).rejects.toThrow(/node types defined in this thread cannot travel/);
    // nodes over all images need the whole set at once
    const withPairs = { ...pipeline, nodes: [...pipeline.nodes, { id: 'pairs', type: 'pairs', params: {}, position: { x: 0, y: 200 } }] };
    await expect(collect(runImages(withPairs, images, { registry }))).rejects.toThrow(/^runImages: pairs aggregate over all images; run the whole set with runPipeline$/);
  });
});
