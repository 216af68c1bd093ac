import type { CandidatesValue, DetectionsValue, ImageValue } from '../../graph/values.js';
import type { Candidate } from './boxes.js';
import type { FaceDetection, LevelHeatmap } from './detector.js';

/** Conversions between the cascade's working types and the plain values that flow between nodes. */

export function toCandidatesValue(candidates: Candidate[], imageWidth: number, imageHeight: number, heatmaps?: LevelHeatmap[]): CandidatesValue {
  return {
    imageWidth,
    imageHeight,
    boxes: candidates.map((c) => c.box),
    scores: candidates.map((c) => c.score),
    regression: candidates.map((c) => c.reg),
    ...(heatmaps ? { heatmaps } : {}),
  };
}

export function fromCandidatesValue(v: CandidatesValue): Candidate[] {
  return v.boxes.map((box, i) => ({ box, score: v.scores[i], reg: v.regression[i] }));
}

export function toDetectionsValue(faces: FaceDetection[], imageWidth: number, imageHeight: number): DetectionsValue {
  return {
    imageWidth,
    imageHeight,
    boxes: faces.map((f) => f.box),
    scores: faces.map((f) => f.score),
    landmarks: faces.map((f) => f.landmarks),
  };
}

/** Candidates must come from the image they are cropped from. */
export function checkSameImage(candidates: CandidatesValue, image: ImageValue): void {
  if (candidates.imageWidth !== image.width || candidates.imageHeight !== image.height) {
    throw new Error(
      `candidates are for a ${candidates.imageWidth}x${candidates.imageHeight} image but the image input is ${image.width}x${image.height}; ` +
        'wire the same image into the detector stages',
    );
  }
}
