import { fusionNode } from '../fusion';

/** Fusion node running the attention module (src/models/fusion/attention.ts). */
export const fusionAttentionNode = fusionNode('attention');
