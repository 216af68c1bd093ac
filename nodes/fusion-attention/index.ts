import { fusionNode } from '../fusion.js';

/** Fusion node running the attention module (src/models/fusion/attention.ts). */
export const fusionAttentionNode = fusionNode('attention');
