import { buildCalibration, foldsOf, type CalibrationReport } from '../../eval/calibration.js';
import type { ScoresValue } from '../../eval/verify.js';

/**
 * Calibration of a dataset run's scores, as `faceflow calibrate` measures it: Platt and isotonic
 * fits scored k-fold (each pair by a fit on the other folds: the pairs file's folds, else 10
 * interleaved), beside the raw similarity read as a probability. Undefined without both labels.
 */
export function runCalibration(scores: ScoresValue | undefined): CalibrationReport | undefined {
  const labelled = (scores?.pairs ?? []).filter((p) => p.same !== undefined && Number.isFinite(p.score));
  const same = labelled.map((p) => p.same!);
  if (!same.includes(true) || !same.includes(false)) return undefined;
  const folds = foldsOf(labelled.length, labelled.map((p) => p.fold));
  return buildCalibration(labelled.map((p) => p.score), same, { folds, method: 'isotonic', metric: scores!.metric, pairsSource: 'dataset run' }).report;
}
