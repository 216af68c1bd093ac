import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { registry } from '../../nodes/index.js';
import { buildCalibration } from '../../src/eval/calibration.js';
import type { Pipeline } from '../../src/graph/schema.js';
import type { DetectionsValue, Point } from '../../src/graph/values.js';
import { addNode, connect } from '../../src/graph/edit.js';
import { runCalibration } from '../../src/ui/experiments/run-calibration.js';
import { detectorMs, detectorTwins, detectorTypes, matchFaces } from '../../src/ui/views/detector-compare/compare.js';

/** Five points of a face whose eyes lie `iod` apart, shifted by (dx, dy). */
const points = (x: number, y: number, iod: number, dx = 0, dy = 0): Point[] =>
  [[x, y], [x + iod, y], [x + iod / 2, y + iod / 2], [x, y + iod], [x + iod, y + iod]].map(([px, py]) => [px + dx, py + dy] as Point);
const dets = (boxes: DetectionsValue['boxes'], landmarks: Point[][]): DetectionsValue =>
  ({ imageWidth: 640, imageHeight: 480, boxes, scores: boxes.map(() => 0.9), landmarks });

describe('detector comparison', () => {
  it('pairs faces one to one by IoU >= 0.5 and measures the five points apart in inter-ocular distances', () => {
    const a = dets([[100, 100, 200, 200], [300, 100, 400, 200], [500, 300, 560, 360]], [points(120, 130, 60), points(320, 130, 60), points(510, 320, 40)]);
    // B: the first face 10 px to the right (points 6 px off: 0.1 of the 60 px between the eyes), the second found twice (the better overlap counts), the third missed, one extra.
    const b = dets(
      [[110, 100, 210, 200], [305, 100, 405, 200], [300, 110, 400, 210], [10, 10, 50, 50]],
      [points(120, 130, 60, 6), points(320, 130, 60, 0, 3), points(320, 130, 60), points(20, 20, 20)],
    );
    const m = matchFaces(a, b);
    expect(m.both.map((x) => [x.a, x.b])).toEqual([[1, 1], [0, 0]]);
    expect(m.both[1].iou).toBeCloseTo(9000 / 11000, 6);
    expect(m.both[1].landmarkOffset).toBeCloseTo(0.1, 6);
    expect(m.both[0].landmarkOffset).toBeCloseTo(0.05, 6);
    expect(m.onlyA).toEqual([2]);
    expect(m.onlyB).toEqual([2, 3]);
  });

  it('the detector node types are the ones that turn one image into detections; twins read the same image', () => {
    expect(detectorTypes(registry).sort()).toEqual(['mtcnn', 'ssd']);
    const doc = JSON.parse(readFileSync(new URL('../../presets/baseline-mtcnn-facenet.json', import.meta.url), 'utf8')) as Pipeline;
    expect(detectorTwins(doc, registry, 'mtcnn')).toEqual([]);
    const added = addNode(doc, registry, 'ssd', { x: 0, y: 200 });
    const both = connect(added.doc, { node: 'input', port: 'image' }, { node: added.id, port: 'image' });
    expect(detectorTwins(both, registry, 'mtcnn')).toEqual(['ssd']);
    expect(detectorTwins(both, registry, 'ssd')).toEqual(['mtcnn']);
    // an SSD on another image (here the aligned faces' source would differ) is not a twin
    const other = connect(addNode(both, registry, 'grayscale', { x: 0, y: 400 }).doc, { node: 'input', port: 'image' }, { node: 'grayscale', port: 'image' });
    expect(detectorTwins(connect(other, { node: 'grayscale', port: 'image' }, { node: 'ssd', port: 'image' }), registry, 'mtcnn')).toEqual([]);
  });

  it('a detector\'s time is the sum of its reported stage times', () => {
    expect(detectorMs({ stageMs: { ssd: 120.5, landmarks: 30 } })).toBeCloseTo(150.5);
    expect(detectorMs({ faces: 2 })).toBeUndefined();
  });
});

describe('calibration of a dataset run', () => {
  const pairs = Array.from({ length: 40 }, (_, i) => ({ a: `x${i}`, b: `y${i}`, score: (i % 2 ? 0.3 : 0.1) + (i / 40) * 0.5, same: i % 2 === 1, fold: 1 + (i % 4), accepted: false }));

  it('is what faceflow calibrate reports for the same scores: k-fold over the pairs file\'s folds', () => {
    const r = runCalibration({ metric: 'cosine', pairs, threshold: 0.4, thresholdMode: 'kfold' })!;
    const want = buildCalibration(pairs.map((p) => p.score), pairs.map((p) => p.same), { folds: pairs.map((p) => p.fold), method: 'isotonic', metric: 'cosine', pairsSource: 'x' }).report;
    expect(r).toEqual(want);
    expect(r.folds).toBe(4);
  });

  it('falls back to 10 interleaved folds without fold numbers, and is undefined without both labels', () => {
    const noFolds = pairs.map(({ fold: _f, ...p }) => p);
    expect(runCalibration({ metric: 'cosine', pairs: noFolds, threshold: 0.4, thresholdMode: 'kfold' })!.folds).toBe(10);
    expect(runCalibration({ metric: 'cosine', pairs: pairs.filter((p) => p.same), threshold: 0.4, thresholdMode: 'kfold' })).toBeUndefined();
    expect(runCalibration(undefined)).toBeUndefined();
  });
});
