import { describe, expect, it } from 'vitest';
import type { Pipeline } from '../../graph/schema.js';
import type { StoredWeights } from '../../io/weights-store.js';
import { savedValAccuracy, deleteRefusal, weightsFitting } from './saved-weights.js';

const stored = (name: string, kind: string, training?: Record<string, unknown>): StoredWeights => ({
  name, savedAt: 0, bin: new Uint8Array(),
  manifest: { format: 'faceflow-weights', formatVersion: 1, kind, config: {}, training, weightsManifest: [] },
});

const graph = (params: Record<string, unknown>): Pipeline => ({
  schema: 'faceflow/pipeline', version: 2, name: 'g', description: '',
  nodes: [
    { id: 'gate', type: 'attention-gate', params, position: { x: 0, y: 0 } },
    { id: 'fuse', type: 'fusion-attention', params: {}, position: { x: 300, y: 0 } },
  ],
  edges: [],
});

describe('saved weights in the train panel', () => {
  const list = [stored('a', 'gate'), stored('b', 'fusion-attention'), stored('c', 'fusion-transformer'), stored('d', 'gate+fusion-concat')];

  it('offers a gate node the gate weights and a fusion node its own kind', () => {
    expect(weightsFitting(list, 'attention-gate').map((w) => w.name)).toEqual(['a']);
    expect(weightsFitting(list, 'fusion-attention').map((w) => w.name)).toEqual(['b']);
    expect(weightsFitting(list, 'fusion-concat')).toEqual([]);
  });

  it('reads the saved weights’ validation accuracy: the best epoch’s, or the untrained module’s when no epoch beat it', () => {
    expect(savedValAccuracy(stored('a', 'gate', { best_epoch: 1, initial: { valAccuracy: 0.5 }, best: { val_loss: 0.1, val_accuracy: 0.875 } }))).toBe(0.875);
    expect(savedValAccuracy(stored('a', 'gate', { best_epoch: -1, initial: { valLoss: 0.2, valAccuracy: 0.5 } }))).toBe(0.5);
    expect(savedValAccuracy(stored('a', 'gate', { best_epoch: 0, best: { val_loss: 0.1 } }))).toBeUndefined();
    expect(savedValAccuracy(stored('a', 'gate'))).toBeUndefined();
  });

  it('refuses to delete weights a node points at, naming the node', () => {
    expect(deleteRefusal(graph({ weights: 'idb:weights/a.json' }), 'a')).toBe('“a” is used by node “gate”: point it at other weights first');
    expect(deleteRefusal(graph({ weights: 'idb:weights/a-2.json' }), 'a')).toBeUndefined();
    expect(deleteRefusal(graph({}), 'a')).toBeUndefined();
  });
});
