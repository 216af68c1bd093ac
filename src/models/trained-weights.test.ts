import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodeIO } from '../io/nodejs-io.js';
import { initBackend } from '../runtime/backend.js';
import { Rng } from '../util/rng.js';
import { saveWeightsFiles } from '../io/weights-file-nodejs.js';
import { defaultFusionConfig, initFusion } from './fusion/index.js';
import { getFusion } from './fusion/runtime.js';
import { defaultGateConfig, initGate } from './gate/gate.js';
import { getGate } from './gate/runtime.js';
import { heldModelTensors } from './held-tensors.js';

const io = createNodeIO();
let dir: string;
let concatFile: string;

beforeAll(async () => {
  await initBackend('wasm');
  dir = await mkdtemp(join(tmpdir(), 'faceflow-weights-'));
  const cfg = defaultFusionConfig('concat', 16, 4);
  const w = initFusion(cfg, new Rng(1));
  concatFile = await saveWeightsFiles(dir, 'concat', 'fusion-concat', cfg, w);
  tf.dispose(Object.values(w));
});

afterAll(() => rm(dir, { recursive: true, force: true }));

describe('trained weights files given to the wrong node', () => {
  it('are refused with one line naming the file, and leave no tensor behind', async () => {
    const tensors = tf.memory().numTensors;
    const held = heldModelTensors();
    await expect(getGate(io, concatFile, 512)).rejects.toThrow(`${concatFile}: holds "fusion-concat" weights, not a gate`);
    await expect(getFusion(io, 'transformer', concatFile, 16, 4, 1)).rejects.toThrow(`${concatFile}: holds "fusion-concat" weights, not fusion-transformer`);
    await expect(getFusion(io, 'concat', concatFile, 192, 4, 1)).rejects.toThrow(`${concatFile}: trained for 16-D embeddings, got 192-D`);
    expect(tf.memory().numTensors).toBe(tensors);
    expect(heldModelTensors()).toBe(held);
  });

  it('load where they fit, once per backend', async () => {
    const a = await getFusion(io, 'concat', concatFile, 16, 4, 1);
    expect(a.origin).toBe(concatFile);
    expect(await getFusion(io, 'concat', concatFile, 16, 4, 1)).toBe(a);
  });

  it('are read again after a failed load (a missing file written later is found)', async () => {
    const file = join(dir, 'gate.json');
    await expect(getGate(io, file, 8)).rejects.toThrow(/gate\.json/);
    const cfg = defaultGateConfig(8);
    const w = initGate(cfg);
    await saveWeightsFiles(dir, 'gate', 'gate', cfg, w);
    tf.dispose(Object.values(w));
    expect((await getGate(io, file, 8)).origin).toBe(file);
  });
});
