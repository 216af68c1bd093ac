import { fusionNode } from '../fusion.js';

/** Fusion node running the concat module (src/models/fusion/concat.ts). */
export const fusionConcatNode = fusionNode('concat');
