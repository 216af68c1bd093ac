import type { Pipeline } from '../../graph/schema.js';
import { isImageValue } from '../../graph/values.js';
import { embedPngText } from '../../io/png-meta.js';
import { portablePipeline } from '../presets/portable.js';
import { imageCanvas } from './image.js';

/** Save a blob as a file download. */
export function download(blob: Blob, name: string): void {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

/** Typed arrays become plain arrays so the JSON holds every number. */
function plain(_key: string, value: unknown): unknown {
  return ArrayBuffer.isView(value) && !(value instanceof DataView) ? Array.from(value as unknown as ArrayLike<number>) : value;
}

/** Save one output: images as PNG, anything else as JSON. */
export function exportOutput(nodeId: string, port: string, value: unknown): void {
  if (isImageValue(value) && value.data instanceof Uint8Array) {
    imageCanvas(value).toBlob((blob) => blob && download(blob, `${nodeId}.${port}.png`), 'image/png');
    return;
  }
  download(new Blob([JSON.stringify(value, plain)], { type: 'application/json' }), `${nodeId}.${port}.json`);
}

/** Save what a view shows (a canvas: image with boxes, heatmap...) as a PNG carrying the pipeline JSON in an iTXt chunk. */
export async function exportResultPng(canvas: HTMLCanvasElement, pipeline: Pipeline, name: string): Promise<void> {
  const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/png'));
  if (!blob) throw new Error('the canvas could not be encoded as PNG');
  const png = embedPngText(new Uint8Array(await blob.arrayBuffer()), JSON.stringify(portablePipeline(pipeline)));
  download(new Blob([png as Uint8Array<ArrayBuffer>], { type: 'image/png' }), name);
}
