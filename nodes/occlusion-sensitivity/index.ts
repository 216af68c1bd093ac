import { z } from 'zod';
import { defineNode, type HostIO } from '../../src/graph/node-definition.js';
import type { FacesValue } from '../../src/graph/values.js';
import { loadDlibResNet } from '../../src/models/dlib/index.js';
import { loadMobileFaceNet } from '../../src/models/mobilefacenet/index.js';
import { patchGrid, sensitivityMap, type Backbone } from './sensitivity.js';

export const SENSITIVITY_BACKBONES = ['mobilefacenet', 'dlib-resnet'] as const;
export type SensitivityBackbone = (typeof SENSITIVITY_BACKBONES)[number];

/** The backbone's forward pass as the map needs it (the same loaders and the same embedding helper as the backbone nodes). */
export async function loadBackbone(io: HostIO, name: SensitivityBackbone): Promise<Backbone> {
  if (name === 'dlib-resnet') {
    const net = await loadDlibResNet(io);
    return { model: 'dlib-resnet', inputSize: net.inputSize, dim: net.embeddingSize, forward: (x) => net.forward(x) };
  }
  const net = await loadMobileFaceNet(io);
  return { model: 'mobilefacenet', inputSize: net.inputSize, dim: net.embeddingSize, forward: (x) => net.forward(x) };
}

export const occlusionSensitivityNode = defineNode({
  type: 'occlusion-sensitivity',
  title: 'Occlusion sensitivity',
  category: 'Recognition',
  doc: 'Slides a grey patch over each aligned face and maps the drop in cosine similarity to the unpatched embedding: where the chosen backbone (trained or not) looks.',
  keywords: ['heatmap', 'saliency', 'occlusion', 'sensitivity', 'explain', 'attention', 'patch', 'robustness'],
  mode: 'item',
  inputs: { faces: { type: 'Faces', doc: 'Aligned crops (arcface-112 for MobileFaceNet, dlib-150 for dlib; other sizes are resized after patching).' } },
  outputs: {
    sensitivity: { type: 'Weights', doc: 'Per face [n, rows, cols]: 1 - cos(embedding with the patch at that position, embedding of the face); 0 = the patch changes nothing.' },
    embeddings: { type: 'Embeddings', doc: 'The unpatched faces\' unit embeddings (the reference of the map).' },
  },
  params: z.object({
    backbone: z.enum(SENSITIVITY_BACKBONES).default('mobilefacenet').describe('Embedding network whose sensitivity is mapped'),
    patch: z.number().int().min(2).max(256).default(16).describe('Patch side in pixels of the aligned crop (16 on a 112 crop = one cell of MobileFaceNet\'s 7x7 map)'),
    stride: z.number().int().min(1).max(128).default(8).describe('Step between patch positions in crop pixels (8 on 112: 13 x 13 positions, 169 forward passes per face)'),
    value: z.number().int().min(0).max(255).default(128).describe('Grey level of the patch (0 black, 128 mid grey, 255 white)'),
    batch: z.number().int().min(1).max(512).default(32).describe('Patched copies embedded per forward pass (memory vs. speed)'),
  }),
  async kernel({ faces }: { faces: FacesValue }, params, ctx) {
    const backbone = await loadBackbone(ctx.io, params.backbone);
    const t0 = performance.now();
    const { map, embeddings } = await sensitivityMap(faces, backbone, { ...params, signal: ctx.signal, onProgress: (f) => ctx.progress(f) });
    const g = patchGrid(faces.size, params.patch, params.stride);
    ctx.report({ faces: faces.count, grid: `${g.count}x${g.count}`, passes: faces.count * g.count * g.count, backbone: backbone.model, ms: Math.round(performance.now() - t0) });
    return { sensitivity: map, embeddings };
  },
});
