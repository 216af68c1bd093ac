import * as tf from '@tensorflow/tfjs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { registry } from '../../nodes/index.js';
import { templatePoints } from '../../nodes/align/templates.js';
import { drawOcclusion } from '../../src/context/occluders.js';
import { compilePipeline } from '../../src/graph/compile.js';
import type { Pipeline } from '../../src/graph/schema.js';
import type { EmbeddingsValue } from '../../src/graph/values.js';
import { createNodeIO, resolvePackageAsset } from '../../src/io/nodejs-io.js';
import type { WeightsValue } from '../../src/graph/values.js';
import { heldModelTensors } from '../../src/models/held-tensors.js';
import { loadMobileFaceNet, type MobileFaceNet } from '../../src/models/mobilefacenet/index.js';
import { runBack, splitAt, TRAIN_FROM } from '../../src/models/mobilefacenet/student.js';
import { initBackend } from '../../src/runtime/backend.js';
import { Executor } from '../../src/runtime/executor.js';
import { Rng } from '../../src/util/rng.js';
import { buildStudentData, coverageMap, initialStudentWeights, studentConfig, trainStudent, type FaceRow, type StudentEpochLog } from '../../src/train/student.js';
import { saveWeightsFiles } from '../../src/io/weights-file-nodejs.js';

let net: MobileFaceNet;
beforeAll(async () => {
  await initBackend('wasm');
  net = await loadMobileFaceNet(createNodeIO());
});

describe('fine-tuned MobileFaceNet (student)', () => {
  it('starts as the pretrained network: front + back with the untrained gate give its embeddings, in both op forms', async () => {
    const x = tf.randomUniform([3, 112, 112, 3], 0, 255, 'float32', 11) as tf.Tensor4D;
    const ref = tf.tidy(() => net.forward(x).embeddings);
    const r = (await ref.data()) as Float32Array;
    const scale = Math.max(...Array.from(r, Math.abs));
    for (const key of ['conv2d_4.3', 'conv2d_5', 'conv2d_6']) {
      const split = splitAt(net.layers, TRAIN_FROM[key]);
      const cfg = studentConfig(TRAIN_FROM[key], split.cutShape[2], true);
      const w = initialStudentWeights(net, cfg);
      expect(split.cutShape).toEqual(key === 'conv2d_6' ? [7, 7, 128] : [14, 14, 128]);
      for (const trainable of [true, false]) {
        const out = tf.tidy(() => {
          const o = runBack(net.layers, split, cfg, w, net.forwardTo(x, split.cut), trainable);
          expect(o.gateMap!.shape).toEqual([3, ...split.cutShape.slice(0, 2), 1]);
          expect(o.tap.shape).toEqual([3, 7, 7, 512]);
          return o.embeddings;
        });
        const e = (await out.data()) as Float32Array;
        const err = Math.max(...Array.from(e, (v, i) => Math.abs(v - r[i])));
        expect(err / scale).toBeLessThan(1e-4);
        out.dispose();
      }
      tf.dispose(Object.values(w));
    }
    tf.dispose([x, ref]);
  });

  it('refuses a cut that would need a map from before it', () => {
    expect(() => splitAt(net.layers, 'MobileFaceNet/MobileFaceNet/Conv2d_4_InvResBlock_3/Conv_1')).toThrow(/reads a map from before the cut/);
    expect(() => splitAt(net.layers, 'nope/')).toThrow(/no layer named nope/);
  });

  it('coverage: the share of each cell\'s pixels an occluder changed', () => {
    const size = 16;
    const clean = new Uint8Array(size * size * 3).fill(100);
    const occ = Uint8Array.from(clean);
    // Rows 8-15, columns 0-3 changed: cells (1,0) fully, (1,1) half, the rest not at all (2x2 grid of 8 px cells).
    for (let y = 8; y < 16; y++) for (let x = 0; x < 12; x++) occ[(y * size + x) * 3 + 1] = x < 12 ? 200 : 100;
    const c = coverageMap(clean, occ, size, 2, 2);
    expect(Array.from(c)).toEqual([0, 0, 1, 0.5]);
    // Changes within JPEG-like noise do not count.
    const noisy = Uint8Array.from(clean, (v, i) => v + (i % 5));
    expect(Array.from(coverageMap(clean, noisy, size, 2, 2))).toEqual([0, 0, 0, 0]);
  });

  it('training is reproducible: same seed, same curve; another seed, another curve; the gate learns where the occluder is', async () => {
    const size = 112;
    const lm = templatePoints('arcface-112', size);
    // 4 "identities" x 3 images of smooth random faces; the occluded pass draws a surgical mask on each.
    const rng = new Rng(3);
    const faces: FaceRow[] = Array.from({ length: 12 }, (_, i) => {
      const base = [rng.range(60, 200), rng.range(60, 200), rng.range(60, 200)];
      const px = new Uint8Array(size * size * 3);
      for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) for (let k = 0; k < 3; k++) {
        px[(y * size + x) * 3 + k] = Math.max(0, Math.min(255, base[k] + 40 * Math.sin((x + 7 * i) / (9 + k)) * Math.cos(y / (11 + (i % 4)))));
      }
      return { image: i, label: i % 4, pixels: px };
    });
    const occluded = faces.map((f) => {
      const px = Uint8Array.from(f.pixels);
      drawOcclusion({ width: size, height: size, channels: 3, data: px }, lm, 'surgical-mask', new Rng(100 + f.image));
      return { ...f, pixels: px };
    });
    const trainFrom = TRAIN_FROM.conv2d_6;
    const split = splitAt(net.layers, trainFrom);
    const train = await buildStudentData(net, split, [faces.slice(0, 8), occluded.slice(0, 8)], size);
    const val = await buildStudentData(net, split, [faces.slice(8), occluded.slice(8)], size);
    expect(train.labels.length).toBe(16);
    expect(Array.from(train.cleanRow.slice(8))).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(train.coverage.slice(0, 49).every((v) => v === 0)).toBe(true);
    // The mask lies on the lower face: the bottom rows of the 7x7 grid are covered, the top row not.
    expect(train.coverage[8 * 49 + 6 * 7 + 3]).toBeGreaterThan(0.9);
    expect(train.coverage[8 * 49 + 3]).toBe(0);
    const run = async (seed: number) => {
      const logs: StudentEpochLog[] = [];
      const before = tf.memory().numTensors - heldModelTensors();
      const r = await trainStudent(net, studentConfig(trainFrom, 128, true), train, val, {
        epochs: 3, seed, batchSize: 8, perIdentity: 2, lr: 1e-3, gateLr: 1e-2, weightDecay: 1e-5, milestones: [], decay: 0.1,
        margin: 0.2, patience: 10, tripletWeight: 1, gateWeight: 1, onEpoch: (l) => logs.push(l),
      });
      tf.dispose(Object.values(r.weights));
      expect(tf.memory().numTensors - heldModelTensors()).toBe(before);
      return { logs, r };
    };
    const a = await run(1);
    const b = await run(1);
    const c = await run(2);
    const curve = (l: StudentEpochLog[]) => l.map((e) => [e.distill, e.triplet, e.gate, e.valDistill]);
    expect(curve(a.logs)).toEqual(curve(b.logs));
    expect(curve(c.logs)).not.toEqual(curve(a.logs));
    // The gate's map moves towards "less weight on the mask" on held-out faces (1 = no difference at the start).
    expect(a.r.initial.valGateRatio).toBeCloseTo(1, 5);
    expect(a.logs.at(-1)!.valGateRatio!).toBeLessThan(0.95);
    expect(a.logs.at(-1)!.gate).toBeLessThan(a.logs[0].gate);
  }, 120_000);

  it('the mobilefacenet node runs a student weights file: same embedding as the pretrained net at the start, a 14x14 attention map; a wrong file is refused by name', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ff-student-'));
    try {
      const cfg = studentConfig(TRAIN_FROM.conv2d_5, 128, true);
      const w = initialStudentWeights(net, cfg);
      const file = await saveWeightsFiles(dir, 'student', 'mobilefacenet-student', cfg, w);
      const wrong = await saveWeightsFiles(dir, 'wrong', 'gate', { kind: 'gate', channels: 512, initBias: 3 }, { kernel: w['gate/kernel'], bias: w['gate/bias'] });
      tf.dispose(Object.values(w));
      const node = (id: string, type: string, params: Record<string, unknown> = {}) => ({ id, type, params, position: { x: 0, y: 0 } });
      const edge = (a: string, ap: string, b: string, bp: string) => ({ from: { node: a, port: ap }, to: { node: b, port: bp } });
      const p = (weights: string): Pipeline => ({
        schema: 'faceflow/pipeline', version: 2, name: 'student', description: '',
        nodes: [node('img', 'image-input'), node('align', 'align', { mode: 'center' }), node('base', 'mobilefacenet', { flip: true }), node('stu', 'mobilefacenet', { flip: true, weights })],
        edges: [edge('img', 'image', 'align', 'image'), edge('align', 'faces', 'base', 'faces'), edge('align', 'faces', 'stu', 'faces')],
      } as Pipeline);
      const io = createNodeIO();
      const items = [{ id: 's1', name: 's1', path: resolvePackageAsset('@vladmandic/face-api/demo/sample1.jpg') }];
      const before = tf.memory().numTensors - heldModelTensors();
      const res = await new Executor().run(compilePipeline(p(file), registry), items, { io, retain: 'all' });
      expect(tf.memory().numTensors - heldModelTensors()).toBe(before);
      const out = res.items[0].outputs;
      const base = out.base.embeddings as EmbeddingsValue;
      const stu = out.stu.embeddings as EmbeddingsValue;
      stu.data.forEach((v, i) => expect(v).toBeCloseTo(base.data[i], 4));
      expect(stu.model).toBe('mobilefacenet+student');
      const att = out.stu.attention as WeightsValue;
      expect(att.shape).toEqual([1, 14, 14]);
      att.data.forEach((v) => expect(v).toBeCloseTo(1 / (1 + Math.exp(-3)), 5));
      expect((out.base.attention as WeightsValue).shape).toEqual([0, 0, 0]);
      const bad = await new Executor().run(compilePipeline(p(wrong), registry), items, { io, retain: 'all' });
      expect(bad.items[0].error?.message).toMatch(/wrong\.json: holds "gate" weights, not a fine-tuned MobileFaceNet/);
    } finally {
      await rm(dir, { recursive: true });
    }
  }, 60_000);
});
