import * as tf from '@tensorflow/tfjs';
import type { HostIO } from '../../graph/node-definition.js';
import { checkWeights } from '../fusion/common.js';
import { BackendKeyedCache } from '../held-tensors.js';
import { loadTrainedWeights } from '../trained-weights.js';
import { loadMobileFaceNet } from './load.js';
import type { MobileFaceNet } from './net.js';
import { runBack, splitAt, STUDENT_KIND, studentShapes, type StudentConfig, type StudentSplit } from './student.js';

export interface LoadedStudent {
  cfg: StudentConfig;
  split: StudentSplit;
  weights: Record<string, tf.Tensor>;
  net: MobileFaceNet;
}

const cache = new BackendKeyedCache<LoadedStudent>();

/** A fine-tuned MobileFaceNet from a `faceflow train --module backbone` file, on the pinned pretrained front; cached per backend. */
export function getStudent(io: HostIO, weightsPath: string): Promise<LoadedStudent> {
  return cache.get(weightsPath, async () => {
    const net = await loadMobileFaceNet(io);
    let split: StudentSplit | undefined;
    const { config: cfg, weights } = await loadTrainedWeights<StudentConfig>(io, weightsPath, (kind, c, w) => {
      if (kind !== STUDENT_KIND || c?.kind !== STUDENT_KIND) throw new Error(`holds "${kind}" weights, not a fine-tuned MobileFaceNet (${STUDENT_KIND})`);
      split = splitAt(net.layers, c.trainFrom);
      checkWeights('student', w, studentShapes(split, c));
    });
    return { cfg, split: split!, weights, net };
  });
}

/** RGB [n, 112, 112, 3] in 0..255 -> raw embeddings, the 7x7 tap and the gate's map (null without a gate). Call inside tf.tidy. */
export function studentForward(s: LoadedStudent, rgb: tf.Tensor4D): { embeddings: tf.Tensor2D; featureMap: tf.Tensor4D; attention: tf.Tensor4D | null } {
  const o = runBack(s.net.layers, s.split, s.cfg, s.weights, s.net.forwardTo(rgb, s.split.cut), false);
  return { embeddings: o.embeddings, featureMap: o.tap, attention: o.gateMap };
}

/** Embeddings of a fine-tuned network never compare with the pretrained one's: the model name says which ("mobilefacenet+<file name>"). */
export function backboneModelName(weightsPath: string): string {
  return weightsPath ? `mobilefacenet+${weightsPath.split('/').pop()!.replace(/\.json$/, '')}` : 'mobilefacenet';
}

export interface LoadedBackbone {
  net: MobileFaceNet;
  /** The embeddings' model name (see backboneModelName). */
  model: string;
  /** RGB in 0..255 -> raw embeddings, the 7x7 tap and, for a fine-tuned network, its gate map. */
  forward: (rgb: tf.Tensor4D) => { embeddings: tf.Tensor2D; featureMap: tf.Tensor4D; attention?: tf.Tensor4D | null };
  /** True when `weightsPath` named a fine-tuned network. */
  fineTuned: boolean;
  /** [h, w] of the gate's map, for a fine-tuned network with a gate. */
  gateShape?: [number, number];
}

/** The MobileFaceNet a node runs: the pretrained network, or the student in `weightsPath` on its front. */
export async function loadBackbone(io: HostIO, weightsPath: string): Promise<LoadedBackbone> {
  const net = await loadMobileFaceNet(io);
  const student = weightsPath ? await getStudent(io, weightsPath) : null;
  return {
    net, model: backboneModelName(weightsPath), fineTuned: !!student,
    ...(student?.cfg.gate ? { gateShape: [student.split.cutShape[0], student.split.cutShape[1]] as [number, number] } : {}),
    forward: student ? (x) => studentForward(student, x) : (x) => net.forward(x),
  };
}
