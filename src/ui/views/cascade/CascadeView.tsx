import { useCallback, useEffect, useRef, type CSSProperties } from 'react';
import type { CandidatesValue, DetectionsValue, ImageValue, PyramidValue } from '../../../graph/values.js';
import { registry } from '../../../../nodes/index.js';
import { setParam } from '../../../graph/edit.js';
import { paramFields } from '../../inspector/param-fields.js';
import { scheduleRun } from '../../run/runner.js';
import { edit, lab, useLab } from '../../state/store.js';
import { drawBoxes } from '../boxes.js';
import { ImageCanvas, imageSource } from '../image.js';
import type { NodeViewProps } from '../types.js';
import { cascadeChain, cascadeRoleOf, funnelRows, mtcnnFunnelRows, type CascadeStage, type FunnelRow } from './chain.js';
import { drawHeatComposite, drawHeatLevel, HEAT_GRADIENT } from './draw.js';
import { useReturnFocus } from '../../a11y/focus-return.js';

type Heatmaps = NonNullable<CandidatesValue['heatmaps']>;
const STAGE_COLORS: Record<string, string> = {
  'Windows scanned': '#5b6b82', pnet: '#b65fd6', nms: '#7d8ea6', rnet: '#4f9cf7', onet: '#f78c4f', mtcnn: '#f78c4f',
};
const fmt = new Intl.NumberFormat('en');
const pct = (f: number) => `${(f * 100).toFixed(f >= 0.1 ? 0 : f >= 0.01 ? 1 : 2)}%`;

/** The candidate counts stage by stage as bars on a log scale (windows scanned can be 10^5, faces a handful). */
export function Funnel({ rows, highlight, compact }: { rows: FunnelRow[]; highlight?: string; compact?: boolean }) {
  if (!rows.length) return <div className="view-empty">run the pipeline to see the funnel</div>;
  const max = Math.log10(Math.max(10, ...rows.map((r) => r.count)) + 1);
  const types = new Map(lab.get().history.present.nodes.map((n) => [n.id, n.type]));
  return (
    <div className={`funnel${compact ? ' funnel-compact' : ''}`} data-testid="cascade-funnel">
      {rows.map((r, i) => {
        const width = Math.max(1.5, (Math.log10(r.count + 1) / max) * 100);
        const color = STAGE_COLORS[r.label] ?? STAGE_COLORS[(r.nodeId && types.get(r.nodeId)) || 'mtcnn'] ?? '#4f9cf7';
        const prev = rows[i - 1]?.count;
        return (
          <div key={`${r.label}${i}`} className={`funnel-row${highlight && r.nodeId === highlight ? ' active' : ''}`} data-testid="funnel-row" data-label={r.label} data-count={r.count}>
            <span className="funnel-label">{r.label}</span>
            <span className="funnel-track"><span className="funnel-bar" style={{ width: `${width}%`, background: color } as CSSProperties} /></span>
            <span className="funnel-count mono">{fmt.format(r.count)}</span>
            <span className="funnel-drop mono">{prev ? pct(r.count / prev) : ''}</span>
            {!compact && r.hint && <span className="funnel-hint muted small" data-testid="funnel-hint">{r.hint}</span>}
          </div>
        );
      })}
      {!compact && <div className="funnel-axis muted small">bar length: log scale · % = kept from the row above</div>}
    </div>
  );
}

/** A threshold of one stage node as a slider: each drag is one undo step and re-runs from that node (upstream comes from the cache). */
function ThresholdSlider({ nodeId, paramKey, label }: { nodeId: string; paramKey: string; label: string }) {
  const node = useLab((s) => s.history.present.nodes.find((n) => n.id === nodeId));
  if (!node) return null;
  const schema = registry.get(node.type)?.params;
  const def = schema ? paramFields(schema).find((f) => f.key === paramKey)?.def : undefined;
  const value = Number(node.params[paramKey] ?? def ?? 0.5);
  return (
    <label className="threshold">
      <span className="threshold-label">{label}</span>
      <input type="range" min={0} max={1} step={0.01} value={value} data-testid={`threshold-${nodeId}`}
        onChange={(e) => {
          const v = Number(e.target.value);
          edit((d) => setParam(d, nodeId, paramKey, v), `param:${nodeId}.${paramKey}`);
          if (!lab.get().autoRun) scheduleRun(150);
        }} />
      <span className="threshold-value mono">{value.toFixed(2)}</span>
    </label>
  );
}

/** A canvas drawn by `draw`, redrawn only when its size or `deps` change (draw is usually an inline function). */
function FrameCanvas({ width, height, draw, deps, testId, className }: { width: number; height: number; draw: (ctx: CanvasRenderingContext2D, w: number, h: number) => void; deps: unknown[]; testId?: string; className?: string }) {
  const ref = useRef<HTMLCanvasElement>(null);
  const paint = useRef(draw);
  paint.current = draw;
  useEffect(() => {
    const c = ref.current;
    if (!c) return;
    c.width = Math.max(1, Math.round(width));
    c.height = Math.max(1, Math.round(height));
    paint.current(c.getContext('2d')!, c.width, c.height);
  }, [width, height, ...deps]); // eslint-disable-line react-hooks/exhaustive-deps
  return <canvas ref={ref} className={`view-canvas ${className ?? ''}`} data-testid={testId} />;
}

/** Every pyramid level drawn at its true relative size, bottom-aligned, so the shrinking is visible. */
function PyramidLevels({ pyramid, maxWidth }: { pyramid: PyramidValue; maxWidth: number }) {
  const { image, levels } = pyramid;
  const k = maxWidth / Math.max(1, levels[0]?.width ?? image.width);
  return (
    <div className="pyramid-levels" data-testid="pyramid-levels">
      {levels.map((l, i) => (
        <figure key={i} className="pyramid-level">
          <FrameCanvas width={Math.max(2, l.width * k)} height={Math.max(2, l.height * k)} className="pixelated" deps={[image]}
            draw={(ctx, w, h) => ctx.drawImage(imageSource(image), 0, 0, w, h)} />
          <figcaption className="mono">×{l.scale.toFixed(3)}<br />{l.width}×{l.height}</figcaption>
        </figure>
      ))}
    </div>
  );
}

/** One heatmap per pyramid level over the (dimmed) image, all at the same display size. */
function HeatmapGrid({ heatmaps, image, threshold, cell }: { heatmaps: Heatmaps; image?: ImageValue; threshold: number; cell: number }) {
  const aspect = image ? image.height / image.width : 1;
  return (
    <div className="heatmap-grid">
      {heatmaps.map((h, i) => {
        let hot = 0;
        let peak = 0;
        for (const p of h.data) {
          if (p >= threshold) hot++;
          if (p > peak) peak = p;
        }
        return (
          <figure key={i} className="heatmap-level" data-testid="heatmap-level" data-hot={hot}>
            <FrameCanvas width={cell} height={cell * aspect} testId="heatmap-canvas" className="pixelated" deps={[image, h, threshold]}
              draw={(ctx, w, hh) => drawHeatLevel(ctx, image, h, threshold, w, hh)} />
            <figcaption>
              <span className="mono">×{h.scale.toFixed(3)}</span> · window {Math.round(12 / h.scale)} px · <b>{hot}</b> ≥ thr · peak {peak.toFixed(2)}
            </figcaption>
          </figure>
        );
      })}
    </div>
  );
}

function HeatLegend({ threshold }: { threshold: number }) {
  return (
    <div className="heat-legend">
      <span className="mono">0</span>
      <span className="heat-bar" style={{ background: HEAT_GRADIENT }}>
        <span className="heat-thr" style={{ left: `${threshold * 100}%` }} title={`threshold ${threshold}`} />
      </span>
      <span className="mono">1</span>
      <span className="muted small">face probability per 12×12 window; the marker is the P-Net threshold (windows above it are opaque)</span>
    </div>
  );
}

/** The boxes a stage hands on, over the image (O-Net: final faces with landmarks). */
function StageImage({ stage, value, image, size }: { stage: CascadeStage; value: unknown; image?: ImageValue; size: 'thumb' | 'full' }) {
  const isDet = stage.role === 'onet';
  const c = value as CandidatesValue | DetectionsValue | undefined;
  const overlay = useCallback((ctx: CanvasRenderingContext2D, k: number) => {
    if (!c?.boxes) return;
    if (isDet) drawBoxes(ctx, k, c.boxes, c.scores, '#f78c4f', true, (c as DetectionsValue).landmarks);
    else drawBoxes(ctx, k, c.boxes, c.scores, stage.role === 'rnet' ? 'rgba(79, 156, 247, .9)' : stage.role === 'pnet' ? 'rgba(182, 95, 214, .75)' : 'rgba(247, 184, 79, .85)', c.boxes.length <= 12);
  }, [c, isDet, stage.role]);
  if (!c?.boxes) return <div className="view-empty">not run</div>;
  return <ImageCanvas image={image} width={c.imageWidth} height={c.imageHeight} size={size} overlay={overlay} testId={isDet ? 'detections-output' : `stage-image-${stage.role}`} />;
}

function useCascade(nodeId: string) {
  const pipeline = useLab((s) => s.history.present);
  const outputs = useLab((s) => s.outputs);
  const reports = useLab((s) => s.reports);
  const stages = cascadeChain(pipeline, nodeId);
  const first = stages[0] && outputs[stages[0].id];
  const pyramid = (stages[0]?.role === 'pyramid' ? first?.pyramid : undefined) as PyramidValue | undefined;
  const pnet = stages.find((s) => s.role === 'pnet');
  const candidates = pnet ? (outputs[pnet.id]?.candidates as CandidatesValue | undefined) : undefined;
  const pnetNode = pnet && pipeline.nodes.find((n) => n.id === pnet.id);
  const pnetThreshold = Number(pnetNode?.params.threshold ?? 0.6);
  return { pipeline, outputs, reports, stages, pyramid, pnet, heatmaps: candidates?.heatmaps, pnetThreshold, rows: funnelRows(stages, reports) };
}

function stageValue(outputs: Record<string, Record<string, unknown>>, s: CascadeStage): unknown {
  const o = outputs[s.id];
  return s.role === 'onet' ? o?.detections : o?.candidates;
}

export function openCascade(nodeId: string): void {
  lab.set({ bigView: { kind: 'cascade', nodeId } });
}

/** On a stage node (thumb) and in the side view (full): that stage's picture, the funnel, and the thresholds. */
export function CascadeNodeView({ nodeId, nodeType, params, outputs, report, size, image }: NodeViewProps) {
  const c = useCascade(nodeId);
  const stage = c.stages.find((s) => s.id === nodeId) ?? { id: nodeId, role: cascadeRoleOf(nodeType)!, label: nodeType };
  const pyramid = (outputs.pyramid as PyramidValue | undefined) ?? c.pyramid;
  const img = image ?? pyramid?.image;
  const heat = nodeType === 'pnet' ? (outputs.candidates as CandidatesValue | undefined)?.heatmaps : undefined;
  const w = img?.width ?? 1;
  const h = img?.height ?? 1;
  const k = Math.min(1, (size === 'thumb' ? 220 : 660) / Math.max(w, h));
  const picture = nodeType === 'image-pyramid' && pyramid
    ? <PyramidLevels pyramid={pyramid} maxWidth={size === 'thumb' ? 90 : 150} />
    : heat?.length
      ? <FrameCanvas width={w * k} height={h * k} testId="pnet-composite" deps={[img, heat, params.threshold, c.pnetThreshold]} draw={(ctx, fw, fh) => drawHeatComposite(ctx, img, heat, Number(params.threshold ?? c.pnetThreshold), fw, fh)} />
      : <StageImage stage={stage} value={stageValue({ [nodeId]: outputs }, stage)} image={img} size={size} />;
  const count = typeof report?.candidatesOut === 'number' ? report.candidatesOut : undefined;
  if (size === 'thumb') {
    return (
      <figure className="image-view image-view-thumb cascade-thumb">
        {picture}
        <figcaption>
          {nodeType === 'image-pyramid' ? `${pyramid?.levels.length ?? 0} levels` : count !== undefined
            ? `${fmt.format(Number(report?.candidatesIn ?? 0))} → ${fmt.format(count)}${nodeType === 'pnet' ? ' · heat over all levels' : ''}`
            : ''}
        </figcaption>
      </figure>
    );
  }
  return (
    <div className="cascade-panel" data-testid="cascade-panel">
      <figure className="image-view image-view-full">
        {picture}
        <figcaption>
          {nodeType === 'onet' && count !== undefined && <span data-testid="detections-count">{count} face{count === 1 ? '' : 's'} · </span>}
          {stage.label}
          {count !== undefined && ` · ${fmt.format(Number(report?.candidatesIn ?? 0))} in → ${fmt.format(count)} out`}
          {nodeType === 'pnet' && ' · heatmaps of every level, combined by maximum'}
        </figcaption>
      </figure>
      {c.stages.length > 0 && (
        <>
          <button className="btn primary small open-cascade" data-testid="open-cascade" onClick={() => openCascade(nodeId)}>⤢ Open cascade viewer</button>
          <h3 className="section-title">Funnel</h3>
          <Funnel rows={c.rows} highlight={nodeId} compact />
          <h3 className="section-title">Thresholds</h3>
          {c.stages.filter((s) => s.threshold).map((s) => <ThresholdSlider key={s.id} nodeId={s.id} paramKey={s.threshold!.key} label={s.label} />)}
        </>
      )}
    </div>
  );
}

/** The whole-cascade node: final faces, the funnel from its report, per-stage time and its three thresholds. */
export function MtcnnNodeView({ nodeId, outputs, report, size, image }: NodeViewProps) {
  const d = outputs.detections as DetectionsValue | undefined;
  const overlay = useCallback((ctx: CanvasRenderingContext2D, k: number) => d && drawBoxes(ctx, k, d.boxes, d.scores, '#f78c4f', true, d.landmarks), [d]);
  const rows = mtcnnFunnelRows(report);
  const ms = report?.stageMs as Record<string, number> | undefined;
  if (!d?.boxes) return <div className="view-empty">no detections</div>;
  return (
    <div className={size === 'full' ? 'cascade-panel' : ''} data-testid={size === 'full' ? 'cascade-panel' : undefined}>
      <figure className={`image-view image-view-${size}`}>
        <ImageCanvas image={image} width={d.imageWidth} height={d.imageHeight} size={size} overlay={overlay} testId="detections-output" />
        <figcaption data-testid="detections-count">{d.boxes.length} face{d.boxes.length === 1 ? '' : 's'}{size === 'thumb' && rows.length ? ` · ${rows.map((r) => r.count).join(' → ')}` : ''}</figcaption>
      </figure>
      {size === 'full' && (
        <>
          <h3 className="section-title">Funnel</h3>
          <Funnel rows={rows} compact />
          {ms && <div className="muted small stage-ms">P-Net {ms.pnet?.toFixed(0)} ms · R-Net {ms.rnet?.toFixed(0)} ms · O-Net {ms.onet?.toFixed(0)} ms</div>}
          <h3 className="section-title">Thresholds</h3>
          <ThresholdSlider nodeId={nodeId} paramKey="pnetThreshold" label="P-Net" />
          <ThresholdSlider nodeId={nodeId} paramKey="rnetThreshold" label="R-Net" />
          <ThresholdSlider nodeId={nodeId} paramKey="onetThreshold" label="O-Net" />
          <p className="muted small">This node runs the whole cascade inside. Load the “MTCNN face detector” preset to see every stage (pyramid, heatmaps, candidates) in the cascade viewer.</p>
        </>
      )}
    </div>
  );
}

/** The large cascade viewer: pyramid, P-Net heatmaps per level, candidates after each stage with its threshold, and the funnel. */
export function CascadeViewer({ nodeId }: { nodeId: string }) {
  const c = useCascade(nodeId);
  const close = () => lab.set({ bigView: undefined });
  useReturnFocus();
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && close();
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, []);
  const image = c.pyramid?.image;
  const running = useLab((s) => s.running || s.pending);
  return (
    <div className="big-view" role="dialog" aria-label="MTCNN cascade viewer" data-testid="cascade-viewer">
      <div className="big-view-head">
        <div>
          <h2>MTCNN cascade <span className="muted">· {c.pipeline.name}</span></h2>
          <div className="muted small">From every 12×12 window of every pyramid level down to a few faces: each stage rejects most of what it is given.</div>
        </div>
        <span className={`big-view-status${running ? ' busy' : ''}`}>{running ? 're-running…' : 'up to date'}</span>
        <button className="icon-btn" onClick={close} aria-label="Close the cascade viewer" data-testid="close-big-view" autoFocus>✕</button>
      </div>
      {!c.stages.length ? (
        <p className="muted">This node is not part of a stage-by-stage MTCNN cascade.</p>
      ) : (
        <div className="big-view-body" tabIndex={0} role="region" aria-label="Cascade stages">
          <section className="cascade-top">
            <div className="cascade-funnel-box">
              <h3 className="section-title">Funnel</h3>
              <Funnel rows={c.rows} highlight={nodeId} />
            </div>
            {c.pyramid && (
              <div className="cascade-pyramid-box">
                <h3 className="section-title">Image pyramid <span className="muted">· {c.pyramid.levels.length} levels, each scanned by P-Net with 12×12 windows</span></h3>
                <PyramidLevels pyramid={c.pyramid} maxWidth={150} />
              </div>
            )}
          </section>
          {c.heatmaps?.length ? (
            <section>
              <h3 className="section-title">P-Net heatmaps per level</h3>
              <HeatLegend threshold={c.pnetThreshold} />
              <HeatmapGrid heatmaps={c.heatmaps} image={image} threshold={c.pnetThreshold} cell={180} />
            </section>
          ) : c.pnet && c.outputs[c.pnet.id] ? (
            <p className="muted">P-Net kept no heatmaps (its “heatmaps” param is off).</p>
          ) : null}
          <section>
            <h3 className="section-title">Candidates after each stage</h3>
            <div className="stage-grid">
              {c.stages.filter((s) => s.role !== 'pyramid').map((s) => {
                const row = c.rows.filter((r) => r.nodeId === s.id).pop();
                return (
                  <div key={s.id} className={`stage-card${s.id === nodeId ? ' active' : ''}`} data-testid="stage-card" data-node-id={s.id}>
                    <div className="stage-card-head">
                      <span className="stage-name">{s.label}</span>
                      <span className="mono stage-count" data-testid="stage-count">{row ? fmt.format(row.count) : '–'}</span>
                    </div>
                    <StageImage stage={s} value={stageValue(c.outputs, s)} image={image} size="full" />
                    {s.threshold && <ThresholdSlider nodeId={s.id} paramKey={s.threshold.key} label={s.threshold.label} />}
                  </div>
                );
              })}
            </div>
          </section>
        </div>
      )}
    </div>
  );
}
