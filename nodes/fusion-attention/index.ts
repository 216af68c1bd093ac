import { fusionNode } from '../../src/models/fusion/node-def';

/** Fusion node running the attention module (src/models/fusion/attention.ts). */
export const fusionAttentionNode = fusionNode('attention');
