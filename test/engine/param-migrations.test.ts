import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { NODE_DEFINITIONS, registry } from '../../nodes/index.js';
import { claheNode } from '../../nodes/clahe/index.js';
import { compilePipeline } from '../../src/graph/compile.js';
import { loadPipelineText } from '../../src/graph/load.js';
import { defineNode, type AnyNodeDefinition } from '../../src/graph/node-definition.js';
import { migratePipelineParams } from '../../src/graph/param-migrations.js';
import { NodeRegistry } from '../../src/graph/registry.js';
import type { Pipeline } from '../../src/graph/schema.js';
import { validatePipeline } from '../../src/graph/validate.js';
import type { ImageValue } from '../../src/graph/values.js';
import { createNodeIO } from '../../src/io/nodejs-io.js';
import { initBackend } from '../../src/runtime/backend.js';
import { Executor } from '../../src/runtime/executor.js';
import { applyParamOverrides } from '../../src/runtime/preset.js';
import { runPipeline, type RunHost } from '../../src/runtime/run.js';

const CLAHE_PRESET = fileURLToPath(new URL('../../presets/clahe.json', import.meta.url));

/** The bundled preset as saved before the rename, with clip limit 4. */
function oldPreset(): Pipeline {
  const loaded = loadPipelineText(readFileSync(CLAHE_PRESET, 'utf8').replace('"clipLimit": 2', '"clipLimit": 4'));
  if (!loaded.ok) throw new Error(loaded.error);
  return loaded.pipeline;
}

/** clahe after a rename clipLimit -> clip, at params version 2, with or without its migration step. */
function renamedClahe(withMigration: boolean): AnyNodeDefinition {
  const { clipLimit, ...rest } = claheNode.params.shape;
  return defineNode({
    ...claheNode,
    paramsVersion: withMigration ? 2 : 1,
    paramMigrations: withMigration
      ? [{ from: 1, migrate: ({ clipLimit: clip, ...others }) => (clip === undefined ? others : { ...others, clip }) }]
      : undefined,
    params: z.object({ ...rest, clip: clipLimit }),
    batchKernel: undefined,
    kernel: async (inputs, params, ctx) => (await claheNode.kernel(inputs, { ...params, clipLimit: params.clip }, ctx)) as { image: ImageValue },
  });
}
const withDef = (def: AnyNodeDefinition) => new NodeRegistry(NODE_DEFINITIONS.map((d) => (d.type === def.type ? def : d)), registry.moduleUrl);

describe('param migrations per node type', () => {
  it('a renamed param without a migration breaks the old preset', () => {
    expect(validatePipeline(oldPreset(), withDef(renamedClahe(false))).map((i) => i.message).join('\n')).toMatch(/clipLimit/);
  });

  it('with the migration the old preset loads, compiles and runs as before', async () => {
    const reg = withDef(renamedClahe(true));
    const old = oldPreset();
    expect(validatePipeline(old, reg)).toEqual([]);
    expect(compilePipeline(old, reg).steps.find((s) => s.nodeId === 'clahe')!.params).toEqual({ clip: 4, tilesX: 8, tilesY: 8 });

    const backend = await initBackend('cpu');
    const host: RunHost = { prepare: async () => ({ executor: new Executor(), io: createNodeIO(), backend }) };
    const data = new Uint8Array(64 * 48).map((_, i) => (i * 37) % 251);
    const image: ImageValue = { width: 64, height: 48, channels: 1, data };
    const output = async (r: NodeRegistry) => {
      const run = await runPipeline(old, [{ id: 'ramp', name: 'ramp', image }], { host, registry: r });
      expect(run.status).toBe('done');
      return (run.items[0].outputs.clahe.image as ImageValue).data;
    };
    expect(await output(reg)).toEqual(await output(registry));
  });

  it('migrating stamps the version; stamped params are not migrated again; newer ones are refused', () => {
    const reg = withDef(renamedClahe(true));
    const migrated = migratePipelineParams(oldPreset(), reg);
    const node = migrated.nodes.find((n) => n.id === 'clahe')!;
    expect(node).toMatchObject({ paramsVersion: 2, params: { clip: 4, tilesX: 8, tilesY: 8 } });
    expect(node.params).not.toHaveProperty('clipLimit');
    expect(migratePipelineParams(migrated, reg)).toBe(migrated);
    expect(compilePipeline(migrated, reg).steps.find((s) => s.nodeId === 'clahe')!.params.clip).toBe(4);
    const newer = { ...migrated, nodes: migrated.nodes.map((n) => (n.id === 'clahe' ? { ...n, paramsVersion: 3 } : n)) };
    expect(validatePipeline(newer, reg)[0].message).toMatch(/params version 3 is newer than this FaceFlow Lab understands \(2\)/);
  });

  it('--param overrides use the current names on an old preset', () => {
    const reg = withDef(renamedClahe(true));
    const p = applyParamOverrides(oldPreset(), ['clahe.clip=1.5'], reg);
    expect(compilePipeline(p, reg).steps.find((s) => s.nodeId === 'clahe')!.params.clip).toBe(1.5);
  });

  it('a node type must carry every step from 1 to its version', () => {
    const gap: AnyNodeDefinition = { ...renamedClahe(true), paramsVersion: 3 };
    expect(() => withDef(gap)).toThrow(/"clahe": params version 3 needs migration steps from 1 to 2 in order \(has 1\)/);
  });
});
