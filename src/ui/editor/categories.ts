import type { NodeCategory } from '../../graph/node-definition.js';

/** Accent colour of each palette category (node header stripe). */
export const CATEGORY_COLORS: Record<NodeCategory, string> = {
  Input: '#4f9cf7',
  Preprocess: '#3fb6a8',
  Detection: '#f78c4f',
  Alignment: '#e35d6a',
  Recognition: '#5de39a',
  Context: '#e3d35d',
  Fusion: '#b05de3',
  Evaluation: '#9aa3ad',
  Output: '#d0d0d0',
};
