import { fusionNode } from '../fusion.js';

/** Fusion node running the transformer module (src/models/fusion/transformer.ts). */
export const fusionTransformerNode = fusionNode('transformer');
