import { useEffect, useRef } from 'react';
import type { EmbeddingsValue, FacesValue } from '../../graph/values.js';
import type { ViewProps } from './types.js';

/** Aligned crops side by side; fallback (centre-crop) faces are marked with a dashed frame. */
export function FacesView({ value, size }: ViewProps) {
  const f = value as FacesValue;
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const canvas = ref.current;
    if (!canvas || !f?.count) return;
    const shown = Math.min(f.count, size === 'thumb' ? 4 : 32);
    const cols = size === 'thumb' ? shown : Math.min(shown, 4);
    const rows = Math.ceil(shown / cols);
    const gap = 4;
    canvas.width = cols * f.size + (cols - 1) * gap;
    canvas.height = rows * f.size + (rows - 1) * gap;
    const ctx = canvas.getContext('2d')!;
    const one = f.size * f.size;
    for (let i = 0; i < shown; i++) {
      const rgba = new Uint8ClampedArray(one * 4);
      for (let p = 0; p < one; p++) {
        rgba[p * 4] = f.data[(i * one + p) * 3];
        rgba[p * 4 + 1] = f.data[(i * one + p) * 3 + 1];
        rgba[p * 4 + 2] = f.data[(i * one + p) * 3 + 2];
        rgba[p * 4 + 3] = 255;
      }
      const x = (i % cols) * (f.size + gap);
      const y = Math.floor(i / cols) * (f.size + gap);
      ctx.putImageData(new ImageData(rgba, f.size, f.size), x, y);
      if (f.fallback[i]) {
        ctx.setLineDash([6, 4]);
        ctx.strokeStyle = '#f0616d';
        ctx.lineWidth = 2;
        ctx.strokeRect(x + 1, y + 1, f.size - 2, f.size - 2);
      }
    }
  }, [f, size]);
  if (!f?.count) return <div className="view-empty">no faces</div>;
  return (
    <figure className={`image-view faces-view faces-view-${size}`}>
      <canvas ref={ref} className="view-canvas pixelated" data-testid="faces-output" data-count={f.count} />
      <figcaption>{f.count} face{f.count === 1 ? '' : 's'} · {f.size}×{f.size} · {f.template}{f.fallback.some(Boolean) ? ' · dashed = centre-crop fallback' : ''}</figcaption>
    </figure>
  );
}

/** Embeddings as a heat strip per face (blue negative, red positive), with their model and size. */
export function EmbeddingsView({ value, size }: ViewProps) {
  const e = value as EmbeddingsValue;
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const canvas = ref.current;
    if (!canvas || !e?.count) return;
    const rows = Math.min(e.count, size === 'thumb' ? 4 : 16);
    canvas.width = e.dim;
    canvas.height = rows;
    const rgba = new Uint8ClampedArray(e.dim * rows * 4);
    let max = 1e-6;
    for (let i = 0; i < e.dim * rows; i++) max = Math.max(max, Math.abs(e.data[i]));
    for (let i = 0; i < e.dim * rows; i++) {
      const v = e.data[i] / max;
      rgba[i * 4] = v > 0 ? 40 + 215 * v : 40;
      rgba[i * 4 + 1] = 40;
      rgba[i * 4 + 2] = v < 0 ? 40 - 215 * v : 40;
      rgba[i * 4 + 3] = 255;
    }
    canvas.getContext('2d')!.putImageData(new ImageData(rgba, e.dim, rows), 0, 0);
  }, [e, size]);
  if (!e?.count) return <div className="view-empty">no embeddings</div>;
  return (
    <figure className={`image-view embeddings-view-${size}`}>
      <canvas ref={ref} className="view-canvas pixelated strip" data-testid="embeddings-output" data-count={e.count} />
      <figcaption>{e.count} × {e.dim}-D · {e.model}</figcaption>
    </figure>
  );
}
