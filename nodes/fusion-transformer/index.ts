import { fusionNode } from '../../src/models/fusion/node-def';

/** Fusion node running the transformer module (src/models/fusion/transformer.ts). */
export const fusionTransformerNode = fusionNode('transformer');
