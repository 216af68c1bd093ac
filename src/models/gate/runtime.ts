import * as tf from '@tensorflow/tfjs';
import type { HostIO } from '../../graph/node-definition';
import { decodeWeights, readWeightsFiles } from '../../train/weights-file';
import { checkWeights } from '../fusion/common';
import { holdModelTensors, releaseModelTensors } from '../held-tensors';
import { defaultGateConfig, gateShapes, initGate, type GateConfig } from './gate';

export interface LoadedGate {
  cfg: GateConfig;
  weights: Record<string, tf.Tensor>;
  origin: string;
}

const cache = new Map<string, Promise<LoadedGate>>();

/** The gate from a `faceflow train` weights file, or the untrained pass-through gate; cached per backend. */
export function getGate(io: HostIO, weightsPath: string, channels: number): Promise<LoadedGate> {
  const key = [tf.getBackend(), weightsPath, channels].join('|');
  let p = cache.get(key);
  if (!p) {
    p = (async (): Promise<LoadedGate> => {
      if (!weightsPath) {
        const cfg = defaultGateConfig(channels);
        return { cfg, weights: holdModelTensors(() => initGate(cfg)).value, origin: 'untrained (pass-through)' };
      }
      const { manifest, bin } = await readWeightsFiles((path) => io.readFile(path), weightsPath);
      const held = holdModelTensors(() => decodeWeights(manifest, bin));
      const { kind, config, weights } = held.value;
      const cfg = config as GateConfig;
      try {
        if (kind !== 'gate' || cfg?.kind !== 'gate') throw new Error(`holds "${kind}" weights, not a gate`);
        if (cfg.channels !== channels) throw new Error(`trained on ${cfg.channels}-channel maps, got ${channels}`);
        checkWeights('gate', weights, gateShapes(cfg));
      } catch (e) {
        tf.dispose(Object.values(weights));
        releaseModelTensors(held.count);
        throw new Error(`${weightsPath}: ${(e as Error).message}`);
      }
      return { cfg, weights, origin: weightsPath };
    })();
    cache.set(key, p);
    p.catch(() => cache.delete(key));
  }
  return p;
}
