import * as tf from '@tensorflow/tfjs';
import type { HostIO } from '../../graph/node-definition.js';
import { checkWeights } from '../fusion/common.js';
import { BackendKeyedCache, holdModelTensors } from '../held-tensors.js';
import { loadTrainedWeights } from '../trained-weights.js';
import { defaultGateConfig, gateShapes, initGate, type GateConfig } from './gate.js';

export interface LoadedGate {
  cfg: GateConfig;
  weights: Record<string, tf.Tensor>;
  origin: string;
}

const cache = new BackendKeyedCache<LoadedGate>();

/** The gate from a `faceflow train` weights file, or the untrained pass-through gate; cached per backend. */
export function getGate(io: HostIO, weightsPath: string, channels: number): Promise<LoadedGate> {
  return cache.get(`${weightsPath}|${channels}`, async () => {
    if (!weightsPath) {
      const cfg = defaultGateConfig(channels);
      return { cfg, weights: holdModelTensors(() => initGate(cfg)).value, origin: 'untrained (pass-through)' };
    }
    const { config: cfg, weights } = await loadTrainedWeights<GateConfig>(io, weightsPath, (kind, c, w) => {
      if (kind !== 'gate' || c?.kind !== 'gate') throw new Error(`holds "${kind}" weights, not a gate`);
      if (c.channels !== channels) throw new Error(`trained on ${c.channels}-channel maps, got ${channels}`);
      checkWeights('gate', w, gateShapes(c));
    });
    return { cfg, weights, origin: weightsPath };
  });
}
