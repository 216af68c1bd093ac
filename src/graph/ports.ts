/**
 * Port types: what travels along an edge. An edge is valid only between ports of
 * compatible types (see `canConnect`). Colours are used by the editor.
 */
export const PORT_TYPES = {
  Image: { color: '#4f9cf7', doc: 'An 8-bit grayscale or RGB image (or a float image after normalisation).' },
  Pyramid: { color: '#8ec7ff', doc: 'Image pyramid levels with their scales.' },
  Candidates: { color: '#f7b84f', doc: 'Candidate face boxes from a detector stage, with scores.' },
  Detections: { color: '#f78c4f', doc: 'Final face boxes (source pixels), scores and 5 landmarks.' },
  Faces: { color: '#e35d6a', doc: 'Aligned face crops (a batch) with the transforms that made them.' },
  FeatureMap: { color: '#b05de3', doc: 'A batch of backbone feature maps [n, h, w, c].' },
  Embeddings: { color: '#5de39a', doc: 'A batch of L2-normalised embedding vectors.' },
  Context: { color: '#e3d35d', doc: 'A batch of context vectors (pose, lighting, occlusion, ...).' },
  Scores: { color: '#5dd3e3', doc: 'Similarity scores for pairs, with their labels.' },
  Pairs: { color: '#9aa3ad', doc: 'Verification pairs (two images and a same/different label).' },
  Metrics: { color: '#ffffff', doc: 'Evaluation metrics: accuracy, ROC, AUC, EER, TAR@FAR.' },
  Gallery: { color: '#c08a5d', doc: 'Enrolled identity templates for identification.' },
  Weights: { color: '#d0d0d0', doc: 'Attention or fusion weights exposed for display.' },
} as const;

export type PortType = keyof typeof PORT_TYPES;

export function isPortType(name: string): name is PortType {
  return Object.prototype.hasOwnProperty.call(PORT_TYPES, name);
}

/** Whether an output of type `from` may feed an input of type `to`. Types must match exactly. */
export function canConnect(from: PortType, to: PortType): boolean {
  return from === to;
}
