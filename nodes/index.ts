import type { AnyNodeDefinition } from '../src/graph/node-definition';
import { NodeRegistry } from '../src/graph/registry';
import { imageInputNode } from './image-input';
import { claheNode } from './clahe';
import { grayscaleNode } from './grayscale';
import { alignNode } from './align';
import { mobileFaceNetNode } from './mobilefacenet';
import { dlibResNetNode } from './dlib-resnet';
import { verifyNode } from './verify';
import { pairsNode } from './pairs';
import { enrollNode } from './enroll';
import { identifyNode } from './identify';
import { occlusionNode } from './occlusion';
import { attentionGateNode } from './attention-gate';
import { contextNode } from './context';
import { fusionConcatNode } from './fusion-concat';
import { fusionAttentionNode } from './fusion-attention';
import { fusionTransformerNode } from './fusion-transformer';
import { imagePyramidNode } from './image-pyramid';
import { pnetNode } from './pnet';
import { nmsNode } from './nms';
import { rnetNode } from './rnet';
import { onetNode } from './onet';
import { mtcnnNode } from './mtcnn';
import { annotateNode } from './annotate';
import { occlusionSensitivityNode } from './occlusion-sensitivity';
import { maskedTwinNode } from './masked-twin';
import { ssdNode } from './ssd';
import { calibrationNode } from './calibration';
import { customEmbeddingNode } from './custom-embedding';

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
