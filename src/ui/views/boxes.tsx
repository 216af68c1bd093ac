import { useCallback } from 'react';
import type { Box, CandidatesValue, DetectionsValue, Point } from '../../graph/values.js';
import { ImageCanvas } from './image.js';
import type { ViewProps } from './types.js';

const LANDMARK_COLORS = ['#4f9cf7', '#4f9cf7', '#5de39a', '#f7b84f', '#f7b84f'];

/** Boxes (source pixels, scaled by `k`), optional score labels and landmark dots. */
export function drawBoxes(ctx: CanvasRenderingContext2D, k: number, boxes: Box[], scores: number[], color: string, labels: boolean, landmarks?: Point[][]) {
  ctx.lineWidth = Math.max(1.5, 2 * Math.min(1, k * 2));
  ctx.font = `${Math.max(10, Math.round(12 * Math.min(1, k * 2)))}px system-ui, sans-serif`;
  ctx.strokeStyle = color;
  ctx.beginPath();
  for (const [x1, y1, x2, y2] of boxes) ctx.rect(x1 * k, y1 * k, (x2 - x1) * k, (y2 - y1) * k);
  ctx.stroke();
  boxes.forEach(([x1, y1], i) => {
    if (labels && scores[i] !== undefined) {
      const text = scores[i].toFixed(2);
      const tw = ctx.measureText(text).width + 6;
      ctx.fillStyle = color;
      ctx.fillRect(x1 * k, Math.max(0, y1 * k - 16), tw, 16);
      ctx.fillStyle = '#000';
      ctx.fillText(text, x1 * k + 3, Math.max(12, y1 * k - 4));
    }
    for (const [j, [x, y]] of (landmarks?.[i] ?? []).entries()) {
      ctx.fillStyle = LANDMARK_COLORS[j] ?? '#fff';
      ctx.beginPath();
      ctx.arc(x * k, y * k, Math.max(2, 3 * Math.min(1, k * 2)), 0, Math.PI * 2);
      ctx.fill();
    }
  });
}

/** Final detections: boxes with scores and the 5 landmarks, over the image they were found in. */
export function DetectionsView({ value, size, image }: ViewProps) {
  const d = value as DetectionsValue;
  const overlay = useCallback((ctx: CanvasRenderingContext2D, k: number) => drawBoxes(ctx, k, d.boxes, d.scores, '#f78c4f', true, d.landmarks), [d]);
  if (!d?.boxes) return <div className="view-empty">no detections</div>;
  return (
    <figure className={`image-view image-view-${size}`}>
      <ImageCanvas image={image} width={d.imageWidth} height={d.imageHeight} size={size} overlay={overlay} testId="detections-output" />
      <figcaption data-testid="detections-count">{d.boxes.length} face{d.boxes.length === 1 ? '' : 's'}</figcaption>
    </figure>
  );
}

/** Candidates between detector stages: every window, thin, so the funnel from stage to stage is visible. */
export function CandidatesView({ value, size, image }: ViewProps) {
  const c = value as CandidatesValue;
  const overlay = useCallback((ctx: CanvasRenderingContext2D, k: number) => drawBoxes(ctx, k, c.boxes, c.scores, 'rgba(247, 184, 79, 0.85)', c.boxes.length <= 40), [c]);
  if (!c?.boxes) return <div className="view-empty">no candidates</div>;
  return (
    <figure className={`image-view image-view-${size}`}>
      <ImageCanvas image={image} width={c.imageWidth} height={c.imageHeight} size={size} overlay={overlay} testId="candidates-output" />
      <figcaption>{c.boxes.length} candidate{c.boxes.length === 1 ? '' : 's'}</figcaption>
    </figure>
  );
}
