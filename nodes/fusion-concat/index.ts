import { fusionNode } from '../../src/models/fusion/node-def';

/** Fusion node running the concat module (src/models/fusion/concat.ts). */
export const fusionConcatNode = fusionNode('concat');
