import { fusionNode } from '../fusion';

/** Fusion node running the concat module (src/models/fusion/concat.ts). */
export const fusionConcatNode = fusionNode('concat');
