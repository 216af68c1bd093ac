import { registry } from '../../../nodes/index.js';
import type { Pipeline } from '../../graph/schema.js';
import { weightsUrl, type StoredWeights } from '../../io/weights-store.js';
import { trainedModuleOf, weightsKindOf } from '../../train/prepare.js';

/** The saved weights a node of this type can load (the kind its weights file records). */
export function weightsFitting(list: StoredWeights[], nodeType: string): StoredWeights[] {
  const module = trainedModuleOf(nodeType, registry);
  return module ? list.filter((w) => w.manifest.kind === weightsKindOf(module)) : [];
}

/**
 * The saved weights' validation pair accuracy, when the run recorded one: the best epoch's, or the
 * untrained module's when no epoch beat it (best_epoch -1: those are the weights saved then).
 */
export function savedValAccuracy(w: StoredWeights): number | undefined {
  const t = w.manifest.training as { best_epoch?: number; best?: { val_accuracy?: unknown }; initial?: { valAccuracy?: unknown } } | undefined;
  const acc = t?.best_epoch === -1 ? t.initial?.valAccuracy : t?.best?.val_accuracy;
  return typeof acc === 'number' ? acc : undefined;
}

/**
 * Why `name` may not be deleted now: a node of the graph still points at it. Deleting is not
 * undoable while the param edit is, so the user repoints the node first rather than the node
 * breaking (or, with the worker's cached copy, working until the next reload).
 */
export function deleteRefusal(p: Pipeline, name: string): string | undefined {
  const url = weightsUrl(name);
  const users = p.nodes.filter((n) => Object.values(n.params).includes(url)).map((n) => `“${n.id}”`);
  return users.length ? `“${name}” is used by node${users.length > 1 ? 's' : ''} ${users.join(', ')}: point it at other weights first` : undefined;
}
