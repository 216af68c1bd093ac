import { useEffect, useRef, useState } from 'react';
import { registry } from '../../../../nodes/index.js';
import type { FacesValue } from '../../../graph/values.js';
import { edit, lab, select, toast, useLab } from '../../state/store.js';
import { heatColor, HEAT_GRADIENT } from '../cascade/draw.js';
import type { NodeViewProps } from '../types.js';
import {
  colourRange, differenceCells, DIVERGING_GRADIENT, divergingColor, faceCells, faceMapOf, formatValue, mapPlacement, meanWeight,
  symmetricRange, toUnit, type FaceMap, type Range,
} from './maps.js';
import { addOccludedBranch, attentionPair, type MapSource } from './pairs.js';

export { meanWeight } from './maps.js';

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

/** h x w cells as a colour-mapped canvas (one pixel per cell). */
function cellsCanvas(cells: Float32Array, h: number, w: number, colour: (v: number) => [number, number, number]): HTMLCanvasElement {
  const c = document.createElement('canvas');
  c.width = w;
  c.height = h;
  const rgba = new Uint8ClampedArray(h * w * 4);
  for (let p = 0; p < h * w; p++) {
    const [r, g, b] = colour(cells[p]);
    rgba[p * 4] = r;
    rgba[p * 4 + 1] = g;
    rgba[p * 4 + 2] = b;
    rgba[p * 4 + 3] = 255;
  }
  c.getContext('2d')!.putImageData(new ImageData(rgba, w, h), 0, 0);
  return c;
}

interface Overlay {
  cells: Float32Array;
  map: FaceMap;
  colour: (v: number) => [number, number, number];
}

/** One aligned face with a map laid over it (smoothly upsampled from its h x w cells, placed where its cells lie on the crop). */
function MapFace({ faces, index, overlay, opacity, px, testId }: { faces: FacesValue; index: number; overlay?: Overlay; opacity: number; px: number; testId: string }) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const c = ref.current;
    if (!c) return;
    c.width = c.height = px;
    const ctx = c.getContext('2d')!;
    ctx.drawImage(faceCanvas(faces, index), 0, 0, px, px);
    if (overlay) {
      const [, h, w] = overlay.map.shape;
      const at = mapPlacement(overlay.map, faces.size);
      const k = px / faces.size;
      ctx.globalAlpha = opacity;
      ctx.imageSmoothingEnabled = true;
      ctx.imageSmoothingQuality = 'high';
      ctx.drawImage(cellsCanvas(overlay.cells, h, w, overlay.colour), at.x * k, at.y * k, at.width * k, at.height * k);
      ctx.globalAlpha = 1;
    }
  }, [faces, index, overlay, opacity, px]);
  return <canvas ref={ref} className="view-canvas attention-face" data-testid={testId} style={{ width: px, height: px }} />;
}

function useMap(src?: MapSource) {
  const outputs = useLab((s) => (src ? s.outputs[src.nodeId] : undefined));
  const faces = useLab((s) => (src ? s.outputs[src.faces.node]?.[src.faces.port] : undefined)) as FacesValue | null | undefined;
  const status = useLab((s) => (src ? s.statuses[src.nodeId] : undefined));
  return { map: faceMapOf(outputs)?.map, faces: faces ?? undefined, status };
}
type MapState = ReturnType<typeof useMap>;

/** What a failed weights load means, in words (the node's own message stays below it). */
export function weightsProblem(message?: string): string | undefined {
  if (!message) return undefined;
  if (/weights|\.json|manifest|not found|HTTP 404/i.test(message)) {
    return 'The trained weights file is missing or unreadable. Train it with `faceflow train` (it lands in presets/weights/), or clear the node’s “weights” param to run untrained.';
  }
  return undefined;
}

/** What one cell of the map means, for the colour bar. */
function cellMeaning(m?: FaceMap): string {
  if (!m) return '';
  const [, h, w] = m.shape;
  if (m.kind === 'sensitivity' && m.grid) return `drop in cosine similarity (1 − cos) with a ${m.grid.patch} px patch there, every ${m.grid.stride} px (${h}×${w})`;
  if (m.kind === 'gate') return `gate weight per cell (${h}×${w})`;
  return `${m.kind} per cell (${h}×${w})`;
}

/** A colour bar labelled with its range; a range narrower than `flat` is said to be flat (every cell the same colour). */
function ColourBar({ range, gradient, label, testId, flat, flatLabel }: { range?: Range; gradient: string; label: string; testId: string; flat: number; flatLabel: string }) {
  if (!range) return null;
  const isFlat = range.max - range.min <= flat;
  return (
    <div className="heat-legend" data-testid={testId} data-min={range.min} data-max={range.max} data-flat={String(isFlat)}>
      <span className="mono" data-testid={`${testId}-min`}>{formatValue(isFlat && flat > 1e-6 ? 0 : range.min)}</span>
      <span className="heat-bar" style={{ background: gradient }} />
      <span className="mono" data-testid={`${testId}-max`}>{formatValue(isFlat && flat > 1e-6 ? 0 : range.max)}</span>
      <span className="muted small">{isFlat ? `${label}: ${flatLabel}` : label}</span>
    </div>
  );
}

function Column({ title, state, index, opacity, px, side, range }: { title: string; state: MapState; index: number; opacity: number; px: number; side: 'clean' | 'occluded'; range?: Range }) {
  const { faces, map, status } = state;
  const has = !!map && index < map.shape[0];
  const overlay = has && range ? { cells: faceCells(map, index), map, colour: (v: number) => heatColor(toUnit(v, range)) } : undefined;
  return (
    <div className={`attention-col attention-${side}`} style={{ width: px }}>
      <div className="attention-col-head" style={{ flexWrap: 'wrap', whiteSpace: 'normal', columnGap: 4 }}><span>{title}</span>{has && <span className="mono muted" title="mean over the map">μ {formatValue(meanWeight(map, index))}</span>}</div>
      {faces && index < faces.count ? (
        <MapFace faces={faces} index={index} overlay={overlay} opacity={opacity} px={px} testId={`attention-${side}`} />
      ) : (
        <div className="view-empty attention-empty" style={{ width: px, height: px }}>no face</div>
      )}
      {status?.state === 'error' && <div className="weights-missing" data-testid="weights-missing">{weightsProblem(status.message) ?? status.message}</div>}
    </div>
  );
}

function DifferenceColumn({ faces, index, cells, map, range, opacity, px }: { faces?: FacesValue; index: number; cells?: Float32Array; map?: FaceMap; range: Range; opacity: number; px: number }) {
  const overlay = cells && map ? { cells, map, colour: (v: number) => divergingColor(v / range.max) } : undefined;
  let mean = 0;
  if (cells) for (const v of cells) mean += v / cells.length;
  return (
    <div className="attention-col attention-difference" style={{ width: px }}>
      <div className="attention-col-head" style={{ flexWrap: 'wrap', whiteSpace: 'normal', columnGap: 4 }}><span>Clean − occl.</span>{cells && <span className="mono muted" title="mean difference">Δ {formatValue(mean)}</span>}</div>
      {faces && overlay ? (
        <MapFace faces={faces} index={index} overlay={overlay} opacity={Math.max(opacity, 0.75)} px={px} testId="attention-difference" />
      ) : (
        <div className="view-empty attention-empty" style={{ width: px, height: px }}>maps differ in size</div>
      )}
    </div>
  );
}

/**
 * A per-face map (attention gate weights, occlusion sensitivity, or any [n, h, w] map of kind
 * gate / sensitivity) over each aligned face, colours stretched to the maps' own range (shown on a
 * labelled bar) or a fixed scale; clean and occluded side by side when the graph has both, with
 * their difference (clean − occluded) on a diverging scale.
 */
export function AttentionView({ nodeId, size }: NodeViewProps) {
  const doc = useLab((s) => s.history.present);
  const pair = attentionPair(doc, nodeId);
  const clean = useMap(pair.clean);
  const occluded = useMap(pair.occluded);
  const own = useLab((s) => faceMapOf(s.outputs[nodeId])?.map);
  const cleanFaces = useLab((s) => (pair.cleanFaces ? s.outputs[pair.cleanFaces.node]?.[pair.cleanFaces.port] : undefined)) as FacesValue | undefined;
  const [opacity, setOpacity] = useState(0.55);
  const [scale, setScale] = useState<'stretch' | 'fixed'>('stretch');
  const [showDiff, setShowDiff] = useState(true);
  const cleanState = { ...clean, faces: clean.faces ?? cleanFaces ?? undefined };
  const count = Math.max(cleanState.faces?.count ?? 0, occluded.faces?.count ?? 0);
  const shown = Math.min(count, 12);
  const faceIdx = Array.from({ length: shown }, (_, i) => i);
  const maps = [cleanState.map, occluded.map].filter((m): m is FaceMap => !!m);
  const range = colourRange(maps.flatMap((map) => faceIdx.map((index) => ({ map, index }))), scale);
  const diffs = cleanState.map && occluded.map ? faceIdx.map((i) => differenceCells(cleanState.map!, occluded.map!, i)) : [];
  const diffRange = symmetricRange(diffs.filter((d): d is Float32Array => !!d));
  const withDiff = showDiff && diffs.some(Boolean);
  const kindName = (own ?? cleanState.map ?? occluded.map)?.kind === 'sensitivity' ? 'sensitivity' : 'attention';
  if (size === 'thumb') {
    const g = pair.clean ? cleanState : occluded;
    if (!g.faces?.count) return <div className="view-empty">no faces</div>;
    const thumbRange = colourRange(maps.map((map) => ({ map, index: 0 })), 'stretch');
    const overlay = (s: MapState) => (s.map && s.map.shape[0] > 0 && thumbRange ? { cells: faceCells(s.map, 0), map: s.map, colour: (v: number) => heatColor(toUnit(v, thumbRange)) } : undefined);
    return (
      <figure className="image-view image-view-thumb attention-thumb">
        <div className="attention-thumb-row">
          <MapFace faces={g.faces} index={0} overlay={overlay(g)} opacity={0.55} px={96} testId="attention-thumb" />
          {pair.clean && pair.occluded && occluded.faces?.count ? <MapFace faces={occluded.faces} index={0} overlay={overlay(occluded)} opacity={0.55} px={96} testId="attention-thumb" /> : null}
        </div>
        <figcaption>{g.faces.count} face{g.faces.count === 1 ? '' : 's'} · {kindName}{pair.clean && pair.occluded ? ': clean | occluded' : ''}</figcaption>
      </figure>
    );
  }
  const addBranch = () => {
    const r = addOccludedBranch(lab.get().history.present, registry, nodeId);
    if (!r) return toast('this node needs aligned faces upstream first', 'error');
    edit(r.doc);
    select([nodeId]);
  };
  const columns = 1 + (pair.occluded ? 1 : 0) + (withDiff ? 1 : 0);
  // The side view is about 330 px wide: three columns of 96 px fit beside the face number.
  const px = columns >= 3 ? 96 : 140;
  const shownMap = cleanState.map ?? occluded.map;
  return (
    <div className="attention-view" data-testid="attention-view" data-kind={shownMap?.kind ?? ''} data-shape={shownMap?.shape.join('x') ?? ''}>
      <div className="attention-controls">
        <label className="threshold">
          <span className="threshold-label">Heatmap opacity</span>
          <input type="range" min={0} max={1} step={0.05} value={opacity} data-testid="attention-opacity" onChange={(e) => setOpacity(Number(e.target.value))} />
          <span className="threshold-value mono">{Math.round(opacity * 100)}%</span>
        </label>
        <label className="threshold">
          <span className="threshold-label">Colour scale</span>
          <select value={scale} data-testid="attention-scale" onChange={(e) => setScale(e.target.value as 'stretch' | 'fixed')}>
            <option value="stretch">own range (min..max)</option>
            <option value="fixed">{shownMap?.kind === 'gate' ? 'fixed 0..1' : 'from 0'}</option>
          </select>
        </label>
        <ColourBar range={range} gradient={HEAT_GRADIENT} label={cellMeaning(shownMap)} testId="heat-range" flat={1e-7} flatLabel="every cell has this value" />
        {withDiff && <ColourBar range={diffRange} gradient={DIVERGING_GRADIENT} label="clean − occluded: orange = lower with the occluder, blue = higher" testId="diff-range" flat={2e-6} flatLabel="no difference (the maps are equal)" />}
        {pair.clean && pair.occluded && (
          <label className="muted small">
            <input type="checkbox" checked={showDiff} data-testid="attention-show-diff" onChange={(e) => setShowDiff(e.target.checked)} /> show the difference (clean − occluded)
          </label>
        )}
      </div>
      {!pair.occluded && pair.clean && (
        <div className="attention-hint">
          <span className="muted small">Compare with an occluded copy of the same faces (adds an occlusion node and a copy of {pair.clean.chain.length > 1 ? 'the backbone and this node' : 'this node'}, same params and weights).</span>
          <button className="btn small" data-testid="add-occluded-branch" onClick={addBranch}>+ Compare with occlusion</button>
        </div>
      )}
      {!count ? (
        <div className="view-empty">no aligned faces: run the pipeline{clean.status?.state === 'error' || occluded.status?.state === 'error' ? ' (the node failed, see below)' : ''}</div>
      ) : (
        <div className="attention-rows">
          {faceIdx.map((i) => (
            <div key={i} className="attention-row" data-testid="attention-row">
              <span className="attention-index mono">#{i + 1}</span>
              <Column title="Clean" state={cleanState} index={i} opacity={opacity} px={px} side="clean" range={range} />
              {pair.occluded && <Column title="Occluded" state={occluded} index={i} opacity={opacity} px={px} side="occluded" range={range} />}
              {withDiff && <DifferenceColumn faces={cleanState.faces} index={i} cells={diffs[i]} map={cleanState.map} range={diffRange} opacity={opacity} px={px} />}
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
