import type { AnyNodeDefinition } from '../src/graph/node-definition.js';
import { NodeRegistry } from '../src/graph/registry.js';
import { imageInputNode } from './image-input/index.js';
import { claheNode } from './clahe/index.js';
import { grayscaleNode } from './grayscale/index.js';
import { alignNode } from './align/index.js';
import { mobileFaceNetNode } from './mobilefacenet/index.js';
import { dlibResNetNode } from './dlib-resnet/index.js';
import { verifyNode } from './verify/index.js';
import { pairsNode } from './pairs/index.js';
import { enrollNode } from './enroll/index.js';
import { identifyNode } from './identify/index.js';
import { occlusionNode } from './occlusion/index.js';
import { attentionGateNode } from './attention-gate/index.js';
import { contextNode } from './context/index.js';
import { fusionConcatNode } from './fusion-concat/index.js';
import { fusionAttentionNode } from './fusion-attention/index.js';
import { fusionTransformerNode } from './fusion-transformer/index.js';
import { imagePyramidNode } from './image-pyramid/index.js';
import { pnetNode } from './pnet/index.js';
import { nmsNode } from './nms/index.js';
import { rnetNode } from './rnet/index.js';
import { onetNode } from './onet/index.js';
import { mtcnnNode } from './mtcnn/index.js';
import { annotateNode } from './annotate/index.js';
import { occlusionSensitivityNode } from './occlusion-sensitivity/index.js';
import { maskedTwinNode } from './masked-twin/index.js';
import { ssdNode } from './ssd/index.js';
import { calibrationNode } from './calibration/index.js';
import { customEmbeddingNode } from './custom-embedding/index.js';

/** Every node type, one line each. Adding a node type = a folder under nodes/ plus one line here. */
export const NODE_DEFINITIONS: AnyNodeDefinition[] = [
  imageInputNode,
  claheNode,
  grayscaleNode,
  alignNode,
  mobileFaceNetNode,
  dlibResNetNode,
  verifyNode,
  pairsNode,
  enrollNode,
  identifyNode,
  occlusionNode,
  attentionGateNode,
  contextNode,
  fusionConcatNode,
  fusionAttentionNode,
  fusionTransformerNode,
  imagePyramidNode,
  pnetNode,
  nmsNode,
  rnetNode,
  onetNode,
  mtcnnNode,
  annotateNode,
  occlusionSensitivityNode,
  maskedTwinNode,
  ssdNode,
  calibrationNode,
  customEmbeddingNode,
];

export const registry = new NodeRegistry(NODE_DEFINITIONS, import.meta.url);
