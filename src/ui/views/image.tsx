import { useEffect, useRef } from 'react';
import { isImageValue, type ImageValue } from '../../graph/values.js';
import { imageToRGBA } from '../../io/image-preview.js';
import type { ViewProps } from './types.js';

const rendered = new WeakMap<ImageValue, HTMLCanvasElement>();
const previews = new WeakMap<ImageValue, ImageBitmap>();

/** Remember the worker-made preview of an output image, so views draw it instead of converting pixels here. */
export function setPreview(img: ImageValue, bitmap: ImageBitmap): void {
  previews.set(img, bitmap);
}

/** Full-size canvas of an image value (for saving as PNG, or when no preview exists), cached per value. */
export function imageCanvas(img: ImageValue): HTMLCanvasElement {
  const hit = rendered.get(img);
  if (hit) return hit;
  const canvas = document.createElement('canvas');
  canvas.width = img.width;
  canvas.height = img.height;
  canvas.getContext('2d')!.putImageData(new ImageData(imageToRGBA(img), img.width, img.height), 0, 0);
  rendered.set(img, canvas);
  return canvas;
}

/** What to draw for an image: the worker's downscaled preview when there is one, else the full-size canvas. */
export function imageSource(img: ImageValue): CanvasImageSource {
  return previews.get(img) ?? imageCanvas(img);
}

/** Draws into the canvas; `k` maps source-image pixels to canvas pixels. */
export type Overlay = (ctx: CanvasRenderingContext2D, k: number) => void;

/**
 * An image fitted to the view size with an optional overlay (boxes, points) in source
 * pixels. Without an image, `width` x `height` gives the frame the overlay draws in.
 */
export function ImageCanvas({ image, width, height, size, overlay, testId = 'image-output' }: {
  image?: ImageValue;
  width?: number;
  height?: number;
  size: 'thumb' | 'full';
  overlay?: Overlay;
  testId?: string;
}) {
  const ref = useRef<HTMLCanvasElement>(null);
  const w = image?.width ?? width ?? 1;
  const h = image?.height ?? height ?? 1;
  useEffect(() => {
    const canvas = ref.current;
    if (!canvas) return;
    const maxSide = size === 'thumb' ? 220 : 1024;
    const k = Math.min(1, maxSide / Math.max(w, h));
    canvas.width = Math.max(1, Math.round(w * k));
    canvas.height = Math.max(1, Math.round(h * k));
    const ctx = canvas.getContext('2d')!;
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    if (image) ctx.drawImage(previews.get(image) ?? imageCanvas(image), 0, 0, canvas.width, canvas.height);
    overlay?.(ctx, canvas.width / w);
  }, [image, w, h, size, overlay]);
  return <canvas ref={ref} data-testid={testId} className="view-canvas" />;
}

/** An Image port's value: a thumbnail on the node, the full image (fit to the panel) in the side view. */
export function ImageView({ value, size }: ViewProps) {
  if (value == null) return <div className="view-empty">no image: the node made none from what is connected</div>;
  if (!isImageValue(value)) return <div className="view-empty">not an image</div>;
  return (
    <figure className={`image-view image-view-${size}`}>
      <ImageCanvas image={value} size={size} />
      {size === 'full' && (
        <figcaption>
          {value.width}×{value.height} · {value.channels === 1 ? 'gray' : 'RGB'} · {value.data instanceof Float32Array ? 'float32' : '8-bit'}
        </figcaption>
      )}
    </figure>
  );
}
