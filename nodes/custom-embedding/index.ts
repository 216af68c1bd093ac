import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { defineNode } from '../../src/graph/node-definition.js';
import { UserError } from '../../src/graph/errors.js';
import type { FacesValue } from '../../src/graph/values.js';
import { embedFaces } from '../mobilefacenet/embed.js';
import { loadCustomModel, MODEL_FORMATS, type LoadedModel } from './load.js';

const TEMPLATES = ['any', 'arcface-112', 'dlib-150', 'center'] as const;

export const customEmbeddingParams = z.object({
  model: z.string().default('').describe('The model: a tfjs model.json (graph or layers model, its .bin files beside it) or a float32 .tflite file; a path (relative to the preset) or a URL'),
  format: z.enum(MODEL_FORMATS).default('auto').describe('auto: from the file (.tflite, or model.json\'s "format"); or graph, layers, tflite'),
  inputSize: z.number().int().min(0).max(1024).default(0).describe('Side of the square input in pixels; 0 = the model\'s own (faces of another size are resized)'),
  channels: z.enum(['rgb', 'bgr']).default('rgb').describe('Channel order the model expects'),
  mean: z.array(z.number()).length(3).default([127.5, 127.5, 127.5]).describe('Subtracted from each channel (0..255 pixels) before dividing by std'),
  std: z.array(z.number().refine((v) => v !== 0, 'must not be 0')).length(3).default([128, 128, 128]).describe('Divisor per channel: (pixel - mean) / std; [255, 255, 255] with mean 0 gives 0..1'),
  template: z.enum(TEMPLATES).default('any').describe('The alignment the model was trained on: the faces must come from an align node with this template (any: not checked)'),
  output: z.string().default('').describe('The output that is the embedding (a graph node, layer or tensor name), for a model with several; empty = its only output'),
  flip: z.boolean().default(false).describe('Add the mirror image\'s embedding to each face\'s (test-time flip; twice the compute)'),
});
type Params = z.output<typeof customEmbeddingParams>;

/** The input side: the param, or the model's fixed square input. */
function inputSide(m: LoadedModel, p: Params): number {
  const [, h, w] = m.inputShape;
  const fixed = typeof h === 'number' && h > 0 && h === w ? h : 0;
  if (p.inputSize && fixed && p.inputSize !== fixed) throw new UserError(`${p.model}: inputSize ${p.inputSize}, but the model's input is ${fixed}x${fixed}`);
  const side = p.inputSize || fixed;
  if (!side) throw new UserError(`${p.model}: the model's input size is not fixed ([${m.inputShape.join(', ')}]); set inputSize`);
  return side;
}

/** RGB 0..255 -> the model's input -> one flat vector per face. Call inside tf.tidy. */
function forward(m: LoadedModel, p: Params, x: tf.Tensor4D): tf.Tensor2D {
  const ordered = p.channels === 'bgr' ? tf.reverse(x, 3) : x;
  const input = tf.div(tf.sub(ordered, tf.tensor1d(p.mean)), tf.tensor1d(p.std)) as tf.Tensor4D;
  const y = m.run(input, p.output);
  return tf.reshape(y, [x.shape[0], -1]);
}

/** Embedding size per model, output and input side, from one zero image (also checks the output once). */
const dims = new Map<string, number>();
function embeddingDim(m: LoadedModel, p: Params, side: number): number {
  const key = `${p.model}|${p.format}|${p.output}|${side}`;
  let d = dims.get(key);
  if (d === undefined) {
    const y = tf.tidy(() => forward(m, p, tf.zeros([1, side, side, 3])));
    d = y.shape[1];
    y.dispose();
    dims.set(key, d);
  }
  return d;
}

export const customEmbeddingNode = defineNode({
  type: 'custom-embedding',
  title: 'Own backbone',
  category: 'Recognition',
  doc: 'Your own embedding model: a tfjs GraphModel or LayersModel (model.json) or a float32 TFLite file, with its input size, normalisation, alignment and output as params; unit embeddings out.',
  keywords: ['embedding', 'backbone', 'custom', 'model.json', 'graph model', 'layers model', 'keras', 'onnx', 'tflite', 'descriptor', 'own model'],
  mode: 'item',
  inputs: { faces: { type: 'Faces', doc: 'Aligned crops (resized to the model\'s input size when they differ).' } },
  outputs: { embeddings: { type: 'Embeddings', doc: 'L2-normalised embeddings, one per face; their model name is "custom:<file name>".' } },
  params: customEmbeddingParams,
  async kernel({ faces }: { faces: FacesValue }, params, ctx) {
    if (params.template !== 'any' && faces.count && faces.template !== params.template) {
      throw new UserError(`the faces are aligned on "${faces.template}", the model expects "${params.template}": set the align node's template (or this node's template to any)`);
    }
    const m = await loadCustomModel(ctx.io, params.model, params.format);
    const side = inputSide(m, params);
    const dim = embeddingDim(m, params, side);
    const name = `custom:${params.model.split(/[\\/]/).pop()}${params.output ? `#${params.output}` : ''}`;
    // embedFaces' feature-map tap is not used here (keep: false): the input stands in for it
    const out = await embedFaces(faces, name, side, dim, (x) => ({ embeddings: forward(m, params, x), featureMap: x }), { layer: '', keep: false }, params.flip);
    ctx.report({ faces: faces.count, format: m.format, inputSize: side, dim });
    return { embeddings: out.embeddings };
  },
});
