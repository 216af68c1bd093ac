import type { Point } from '../graph/values.js';

/**
 * Head pose from the 5 detector landmarks (left eye, right eye, nose, left and right mouth
 * corner), a geometric estimate under orthographic projection of a mean face:
 *  - eyes and mouth corners lie in one plane (the face plane), the nose tip sits in front of it
 *    at depth k * e, where e is half the inter-eye distance. k = 0.8: the nose tip stands about
 *    25 mm in front of the eye centres, which are about 2 x 31.5 mm apart (adult averages).
 *  - frontal, the nose lies a fraction T0 of the way from the eye line to the mouth line, and the
 *    eye-to-mouth distance is RV half-eye-distances (both from the ArcFace 112 template).
 * Then, in the face's own frame (u along the eye line, v perpendicular, pointing down):
 *  - roll  = angle of the eye line: atan2(dy, dx). Exact.
 *  - yaw   : turning by theta moves the nose off the eye-mouth midline by k e sin(theta) while the
 *            half eye distance shrinks to e cos(theta), so theta = atan(r / k) with r the nose's
 *            offset along u divided by the observed half eye distance. Exact for pure yaw.
 *  - pitch : tilting by phi moves the nose along v by -k e sin(phi) while eye-to-mouth shrinks by
 *            cos(phi), so its fraction t = T0 - (k / RV) tan(phi), phi = atan((T0 - t) RV / k).
 *            Exact for pure pitch; yaw and pitch together couple a little (a few degrees at 20+20).
 * Signs (image coordinates, y down): yaw > 0 when the nose moves toward the image's right
 * (the subject turns to their left); pitch > 0 when the face tilts up (chin up); roll > 0 when
 * the eye on the image's right is lower.
 */
export const POSE_MODEL = {
  /** Nose-tip depth in front of the face plane, in half eye distances. */
  k: 0.8,
  /** Frontal nose position between eye line (0) and mouth line (1): ArcFace template. */
  t0: (71.7366 - (51.6963 + 51.5014) / 2) / ((92.3655 + 92.2041) / 2 - (51.6963 + 51.5014) / 2),
  /** Eye line to mouth line, in half eye distances: ArcFace template. */
  rv: ((92.3655 + 92.2041) / 2 - (51.6963 + 51.5014) / 2) / ((73.5318 - 38.2946) / 2),
};

export interface Pose {
  /** Radians, in (-pi/2, pi/2). */
  yaw: number;
  /** Radians, in (-pi/2, pi/2). */
  pitch: number;
  /** Radians, in (-pi, pi]. */
  roll: number;
}

export function poseFromLandmarks(lm: readonly Point[]): Pose {
  if (lm.length !== 5) throw new Error(`pose: expected 5 landmarks, got ${lm.length}`);
  const [le, re, nose, lmo, rmo] = lm;
  const dx = re[0] - le[0];
  const dy = re[1] - le[1];
  const eyeDist = Math.hypot(dx, dy);
  if (!(eyeDist > 0)) throw new Error('pose: the two eye landmarks coincide');
  const roll = Math.atan2(dy, dx);
  const u: Point = [dx / eyeDist, dy / eyeDist];
  const v: Point = [-u[1], u[0]];
  const eye: Point = [(le[0] + re[0]) / 2, (le[1] + re[1]) / 2];
  const mouth: Point = [(lmo[0] + rmo[0]) / 2, (lmo[1] + rmo[1]) / 2];
  const mid: Point = [(eye[0] + mouth[0]) / 2, (eye[1] + mouth[1]) / 2];
  const along = (p: Point, o: Point, axis: Point) => (p[0] - o[0]) * axis[0] + (p[1] - o[1]) * axis[1];
  const r = along(nose, mid, u) / (eyeDist / 2);
  const yaw = Math.atan(r / POSE_MODEL.k);
  const eyeToMouth = along(mouth, eye, v);
  const t = eyeToMouth > 0 ? along(nose, eye, v) / eyeToMouth : POSE_MODEL.t0;
  const pitch = Math.atan(((POSE_MODEL.t0 - t) * POSE_MODEL.rv) / POSE_MODEL.k);
  return { yaw, pitch, roll };
}
