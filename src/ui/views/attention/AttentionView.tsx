import { useEffect, useRef, useState } from 'react';
import { registry } from '../../../../nodes';
import type { FacesValue } from '../../../graph/values';
import type { WeightsValue } from '../../../models/fusion/runtime';
import { edit, lab, select, toast, useLab } from '../../state/store';
import { heatColor, HEAT_GRADIENT } from '../cascade/draw';
import type { NodeViewProps } from '../types';
import { addOccludedBranch, attentionPair, type GateSource } from './pairs';

/** Face `i` of a batch as a canvas (RGB -> RGBA). */
function faceCanvas(f: FacesValue, i: number): HTMLCanvasElement {
  const c = document.createElement('canvas');
  c.width = c.height = f.size;
  const one = f.size * f.size;
  const rgba = new Uint8ClampedArray(one * 4);
  for (let p = 0; p < one; p++) {
    rgba[p * 4] = f.data[(i * one + p) * 3];
    rgba[p * 4 + 1] = f.data[(i * one + p) * 3 + 1];
    rgba[p * 4 + 2] = f.data[(i * one + p) * 3 + 2];
    rgba[p * 4 + 3] = 255;
  }
  c.getContext('2d')!.putImageData(new ImageData(rgba, f.size, f.size), 0, 0);
  return c;
}

/** Face `i`'s h x w weight map as a colour-mapped canvas (one pixel per cell). */
function mapCanvas(w: WeightsValue, i: number): HTMLCanvasElement {
  const [, h, wd] = w.shape;
  const c = document.createElement('canvas');
  c.width = wd;
  c.height = h;
  const rgba = new Uint8ClampedArray(h * wd * 4);
  for (let p = 0; p < h * wd; p++) {
    const [r, g, b] = heatColor(w.data[i * h * wd + p]);
    rgba[p * 4] = r;
    rgba[p * 4 + 1] = g;
    rgba[p * 4 + 2] = b;
    rgba[p * 4 + 3] = 255;
  }
  c.getContext('2d')!.putImageData(new ImageData(rgba, wd, h), 0, 0);
  return c;
}

export function meanWeight(w: WeightsValue, i: number): number {
  const cells = w.shape[1] * w.shape[2];
  let s = 0;
  for (let p = 0; p < cells; p++) s += w.data[i * cells + p];
  return cells ? s / cells : 0;
}

/** One aligned face with its attention map laid over it (smoothly upsampled from 7x7). */
function AttentionFace({ faces, index, weights, opacity, px, testId }: { faces: FacesValue; index: number; weights?: WeightsValue; opacity: number; px: number; testId: string }) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const c = ref.current;
    if (!c) return;
    c.width = c.height = px;
    const ctx = c.getContext('2d')!;
    ctx.drawImage(faceCanvas(faces, index), 0, 0, px, px);
    if (weights && index < weights.shape[0]) {
      ctx.globalAlpha = opacity;
      ctx.imageSmoothingEnabled = true;
      ctx.imageSmoothingQuality = 'high';
      ctx.drawImage(mapCanvas(weights, index), 0, 0, px, px);
      ctx.globalAlpha = 1;
    }
  }, [faces, index, weights, opacity, px]);
  return <canvas ref={ref} className="view-canvas attention-face" data-testid={testId} />;
}

function useGate(src?: GateSource) {
  const outputs = useLab((s) => (src ? s.outputs[src.gateId] : undefined));
  const faces = useLab((s) => (src ? s.outputs[src.faces.node]?.[src.faces.port] : undefined)) as FacesValue | null | undefined;
  const status = useLab((s) => (src ? s.statuses[src.gateId] : undefined));
  return { weights: outputs?.weightMap as WeightsValue | undefined, faces: faces ?? undefined, status };
}

/** What a failed weights load means, in words (the node's own message stays below it). */
export function weightsProblem(message?: string): string | undefined {
  if (!message) return undefined;
  if (/weights|\.json|manifest|not found|HTTP 404/i.test(message)) {
    return 'The trained weights file is missing or unreadable. Train it with `faceflow train` (it lands in presets/weights/), or clear the node’s “weights” param to run untrained.';
  }
  return undefined;
}

function Column({ title, gate, index, opacity, px, side }: { title: string; gate: ReturnType<typeof useGate>; index: number; opacity: number; px: number; side: 'clean' | 'occluded' }) {
  const { faces, weights, status } = gate;
  return (
    <div className={`attention-col attention-${side}`}>
      <div className="attention-col-head"><span>{title}</span>{weights && index < weights.shape[0] && <span className="mono muted" title="mean gate weight">μ {meanWeight(weights, index).toFixed(2)}</span>}</div>
      {faces && index < faces.count ? (
        <AttentionFace faces={faces} index={index} weights={weights} opacity={opacity} px={px} testId={`attention-${side}`} />
      ) : (
        <div className="view-empty attention-empty" style={{ width: px, height: px }}>no face</div>
      )}
      {status?.state === 'error' && <div className="weights-missing" data-testid="weights-missing">{weightsProblem(status.message) ?? status.message}</div>}
    </div>
  );
}

/**
 * The attention gate's weight map over each aligned face, clean and occluded side by side
 * (when the graph has both gates), with an opacity control.
 */
export function AttentionView({ nodeId, size }: NodeViewProps) {
  const doc = useLab((s) => s.history.present);
  const pair = attentionPair(doc, nodeId);
  const clean = useGate(pair.clean);
  const occluded = useGate(pair.occluded);
  const cleanFaces = useLab((s) => (pair.cleanFaces ? s.outputs[pair.cleanFaces.node]?.[pair.cleanFaces.port] : undefined)) as FacesValue | undefined;
  const [opacity, setOpacity] = useState(0.55);
  const cleanGate = { ...clean, faces: clean.faces ?? cleanFaces ?? undefined };
  const count = Math.max(cleanGate.faces?.count ?? 0, occluded.faces?.count ?? 0);
  if (size === 'thumb') {
    const g = pair.clean ? cleanGate : occluded;
    if (!g.faces?.count) return <div className="view-empty">no faces</div>;
    return (
      <figure className="image-view image-view-thumb attention-thumb">
        <div className="attention-thumb-row">
          <AttentionFace faces={g.faces} index={0} weights={g.weights} opacity={0.55} px={96} testId="attention-thumb" />
          {pair.clean && pair.occluded && occluded.faces?.count ? <AttentionFace faces={occluded.faces} index={0} weights={occluded.weights} opacity={0.55} px={96} testId="attention-thumb" /> : null}
        </div>
        <figcaption>{g.faces.count} face{g.faces.count === 1 ? '' : 's'} · attention{pair.clean && pair.occluded ? ': clean | occluded' : ''}</figcaption>
      </figure>
    );
  }
  const addBranch = () => {
    const r = addOccludedBranch(lab.get().history.present, registry, nodeId);
    if (!r) return toast('the gate needs a backbone fed by aligned faces first', 'error');
    edit(r.doc);
    select([nodeId]);
  };
  return (
    <div className="attention-view" data-testid="attention-view">
      <div className="attention-controls">
        <label className="threshold">
          <span className="threshold-label">Heatmap opacity</span>
          <input type="range" min={0} max={1} step={0.05} value={opacity} data-testid="attention-opacity" onChange={(e) => setOpacity(Number(e.target.value))} />
          <span className="threshold-value mono">{Math.round(opacity * 100)}%</span>
        </label>
        <div className="heat-legend">
          <span className="mono">0</span>
          <span className="heat-bar" style={{ background: HEAT_GRADIENT }} />
          <span className="mono">1</span>
          <span className="muted small">gate weight per 16×16 cell</span>
        </div>
      </div>
      {!pair.occluded && pair.clean && (
        <div className="attention-hint">
          <span className="muted small">Compare with an occluded copy of the same faces (adds occlusion → backbone → gate with the same weights).</span>
          <button className="btn small" data-testid="add-occluded-branch" onClick={addBranch}>+ Compare with occlusion</button>
        </div>
      )}
      {!count ? (
        <div className="view-empty">no aligned faces: run the pipeline{clean.status?.state === 'error' || occluded.status?.state === 'error' ? ' (the gate failed, see below)' : ''}</div>
      ) : (
        <div className="attention-rows">
          {Array.from({ length: Math.min(count, 12) }, (_, i) => (
            <div key={i} className="attention-row" data-testid="attention-row">
              <span className="attention-index mono">#{i + 1}</span>
              <Column title="Clean" gate={cleanGate} index={i} opacity={opacity} px={140} side="clean" />
              {pair.occluded && <Column title="Occluded" gate={occluded} index={i} opacity={opacity} px={140} side="occluded" />}
            </div>
          ))}
        </div>
      )}
      {!count && [clean, occluded].map((g, k) => g.status?.state === 'error' && (
        <div key={k} className="weights-missing" data-testid="weights-missing">{weightsProblem(g.status.message) ?? g.status.message}</div>
      ))}
    </div>
  );
}
