import type { PortType } from '../../graph/ports.js';
import { CandidatesView, DetectionsView } from './boxes.js';
import { AttentionView } from './attention/AttentionView.js';
import { FaceMapPortView } from './attention/FaceMapPortView.js';
import { CascadeNodeView } from './cascade/CascadeView.js';
import { MtcnnCompareView, SsdNodeView } from './detector-compare/DetectorCompareView.js';
import { CalibrationView } from './calibration.js';
import { FusionView } from './fusion.js';
import { EnrollView, IdentifyView } from './gallery.js';
import { EmbeddingsView, FacesView } from './faces.js';
import { ImageView } from './image.js';
import type { NodeView, PortView } from './types.js';
import { ValueSummaryView } from './value-summary.js';

/**
 * The UI's list of views. A port type's view shows any output of that type; a node type's
 * view (under src/ui/views/, keyed by node type; test/engine/node-facts.test.ts checks every key is
 * a registered type) replaces the per-port views for that node.
 */
export const PORT_VIEWS: Partial<Record<PortType, PortView>> = {
  Image: ImageView,
  Detections: DetectionsView,
  Candidates: CandidatesView,
  Faces: FacesView,
  Embeddings: EmbeddingsView,
  Weights: FaceMapPortView,
};

export const NODE_VIEWS: Record<string, NodeView> = {
  'image-pyramid': CascadeNodeView,
  pnet: CascadeNodeView,
  nms: CascadeNodeView,
  rnet: CascadeNodeView,
  onet: CascadeNodeView,
  mtcnn: MtcnnCompareView,
  ssd: SsdNodeView,
  'attention-gate': AttentionView,
  'occlusion-sensitivity': AttentionView,
  'fusion-concat': FusionView,
  'fusion-attention': FusionView,
  'fusion-transformer': FusionView,
  enroll: EnrollView,
  identify: IdentifyView,
  calibration: CalibrationView,
};

/** Node views the side view shows even before the node has run (they hold controls, e.g. which gallery to read). */
export const VIEWS_WITHOUT_OUTPUT = new Set(['identify']);

export function portViewFor(type: PortType): PortView {
  return PORT_VIEWS[type] ?? ValueSummaryView;
}

/** Port types worth a thumbnail on the node itself. */
export function hasPortView(type: PortType): boolean {
  return type in PORT_VIEWS;
}
