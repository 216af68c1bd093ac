import { isImageValue, type ImageValue } from '../graph/values.js';

/** Longest side of the previews sent to the page. */
export const PREVIEW_MAX_SIDE = 1024;

/** 8-bit RGBA of an image value; float images are stretched min..max to 0..255. */
export function imageToRGBA(img: ImageValue): Uint8ClampedArray<ArrayBuffer> {
  const { width, height, channels, data } = img;
  let lo = 0;
  let scale = 1;
  if (data instanceof Float32Array) {
    let min = Infinity;
    let max = -Infinity;
    for (const v of data) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
    lo = min;
    scale = max > min ? 255 / (max - min) : 0;
  }
  const rgba = new Uint8ClampedArray(width * height * 4);
  for (let i = 0, j = 0; i < width * height; i++, j += channels) {
    const r = (data[j] - lo) * scale;
    rgba[i * 4] = r;
    rgba[i * 4 + 1] = channels === 3 ? (data[j + 1] - lo) * scale : r;
    rgba[i * 4 + 2] = channels === 3 ? (data[j + 2] - lo) * scale : r;
    rgba[i * 4 + 3] = 255;
  }
  return rgba;
}

const made = new WeakMap<ImageValue, Promise<ImageBitmap>>();

/** A downscaled bitmap of an image value, made once per value (off the page's thread when called in a worker). */
export function imagePreview(img: ImageValue): Promise<ImageBitmap> {
  let p = made.get(img);
  if (!p) {
    const k = Math.min(1, PREVIEW_MAX_SIDE / Math.max(img.width, img.height));
    const data = new ImageData(imageToRGBA(img), img.width, img.height);
    p = createImageBitmap(data, { resizeWidth: Math.max(1, Math.round(img.width * k)), resizeHeight: Math.max(1, Math.round(img.height * k)), resizeQuality: 'medium' });
    made.set(img, p);
  }
  return p;
}

/** Previews of every image among the outputs, as fresh copies the caller may transfer. */
export async function outputPreviews(outputs: Record<string, Record<string, unknown>>): Promise<Record<string, Record<string, ImageBitmap>>> {
  const result: Record<string, Record<string, ImageBitmap>> = {};
  for (const [nodeId, ports] of Object.entries(outputs)) {
    for (const [port, value] of Object.entries(ports)) {
      if (!isImageValue(value)) continue;
      (result[nodeId] ??= {})[port] = await createImageBitmap(await imagePreview(value));
    }
  }
  return result;
}
