import type { ContextValue } from '../context/vector.js';
import type { Gallery, IdentificationMetrics, MatchesValue } from '../eval/gallery.js';
import type { VerificationMetrics } from '../eval/metrics.js';
import type { PairsValue, ScoresValue } from '../eval/verify.js';
import type { PortType } from './ports.js';
import type { CandidatesValue, DetectionsValue, EmbeddingsValue, FacesValue, FeatureMapValue, ImageValue, PyramidValue, WeightsValue } from './values.js';

/**
 * What travels along an edge of each port type: the one map from port type to value type.
 * defineNode types a kernel's inputs and outputs from its ports through it.
 */
export interface PortValueTypes {
  Image: ImageValue;
  Pyramid: PyramidValue;
  Candidates: CandidatesValue;
  Detections: DetectionsValue;
  Faces: FacesValue;
  FeatureMap: FeatureMapValue;
  Embeddings: EmbeddingsValue;
  Context: ContextValue;
  /** Verify's scored pairs or identify's matches (a calibration node adds probabilities to either). */
  Scores: ScoresValue | MatchesValue;
  Pairs: PairsValue;
  /** Null when there is nothing to measure (e.g. no labelled pairs). */
  Metrics: VerificationMetrics | IdentificationMetrics | null;
  Gallery: Gallery;
  Weights: WeightsValue;
}

/** The value of a port type (indexing fails to compile while a port type lacks its entry above). */
export type PortValueOf<T extends PortType> = PortValueTypes[T];
