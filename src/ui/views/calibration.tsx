import { useCallback } from 'react';
import type { FacesValue } from '../../graph/values.js';
import { useLab } from '../state/store.js';
import { drawBoxes } from './boxes.js';
import { ImageCanvas } from './image.js';
import type { NodeViewProps } from './types.js';
import { upstreamValue } from './upstream.js';

interface Scored { score: number; probability?: number; same?: boolean }
interface Pair extends Scored { a: string; b: string }
interface Match extends Scored { probe: string; label?: string; identity: string | null }
interface CalibratedScores {
  pairs?: Pair[];
  matches?: Match[];
  calibration?: { method: string; fitted_on: string | null };
}

const isFaces = (v: unknown): FacesValue | undefined => (v && typeof v === 'object' && 'transforms' in v && 'boxes' in v ? (v as FacesValue) : undefined);
const pct = (p: number | undefined) => (p === undefined ? '–' : `${(p * 100).toFixed(1)}%`);
const LABEL = '#5de39a';

/** "Name · P 97.3%" above the face the probe's embedding came from (identify embeds each image's first face). */
function labelFace(ctx: CanvasRenderingContext2D, k: number, box: FacesValue['boxes'][number], text: string) {
  drawBoxes(ctx, k, [box], [], LABEL, false);
  // the canvas is shown about 330 px wide whatever its pixel size: a font of 1/24 of its width reads at ~14 px
  const px = Math.max(12, Math.round(ctx.canvas.width / 24));
  ctx.font = `${px}px system-ui, sans-serif`;
  const w = ctx.measureText(text).width + px / 2;
  const y = Math.max(0, box[1] * k - px * 1.4);
  ctx.fillStyle = LABEL;
  ctx.fillRect(box[0] * k, y, w, px * 1.4);
  ctx.fillStyle = '#000';
  ctx.fillText(text, box[0] * k + px / 4, y + px * 1.05);
}

/**
 * The calibration node: every score with its P(same person); on a single photo identified
 * against a gallery, that photo annotated with the match and its probability.
 */
export function CalibrationView({ nodeId, outputs, report, size, image }: NodeViewProps) {
  const s = outputs.scores as CalibratedScores | undefined;
  const faces = useLab((st) => upstreamValue(st.history.present.edges, st.outputs, nodeId, isFaces));
  const single = s?.matches?.length === 1 ? s.matches[0] : undefined;
  const box = single && faces?.boxes[0];
  const caption = single ? `${single.identity ?? 'no match'} · P ${pct(single.probability)}` : '';
  const overlay = useCallback((ctx: CanvasRenderingContext2D, k: number) => box && labelFace(ctx, k, box, caption), [box, caption]);
  if (!s?.calibration) return <div className="view-empty">no calibrated scores</div>;
  const ece = report?.ece as number | undefined;
  const eceRaw = report?.eceRaw as number | undefined;
  // one row per match (probe, identity) or per pair (the two images, same / different)
  const rows = s.matches
    ? s.matches.map((m) => ({ ...m, key: m.probe, label: m.identity ?? 'rejected', tone: m.identity && m.identity === m.label ? 'ok' : m.identity ? 'bad' : 'muted' }))
    : (s.pairs ?? []).map((p) => ({ ...p, key: `${p.a} · ${p.b}`, label: p.same === undefined ? '' : p.same ? 'same' : 'different', tone: 'muted' }));
  if (size === 'thumb') return <div className="gallery-thumb">{single ? caption : `${(s.pairs ?? s.matches ?? []).length} scores`}{ece !== undefined ? ` · ECE ${ece.toFixed(3)}` : ''}</div>;
  return (
    <div className="gallery-view" data-testid="calibration-view">
      <div className="muted small">
        P(same person) by {s.calibration.method}{s.calibration.fitted_on ? `, fitted on ${s.calibration.fitted_on}` : ''}
        {ece !== undefined && <span data-testid="calibration-ece" data-ece={ece} data-ece-raw={eceRaw}> · ECE {ece.toFixed(3)} (raw score {eceRaw?.toFixed(3)}), in-sample if these are the pairs it was fitted on</span>}
      </div>
      {single && box && image && (
        <figure className="image-view image-view-full">
          <ImageCanvas image={image} size="full" overlay={overlay} testId="calibration-annotated" />
          <figcaption data-testid="calibration-caption">{caption}</figcaption>
        </figure>
      )}
      {rows.length > 0 && (
        <table className="gallery-table" data-testid="calibrated-scores">
          <thead><tr><th>{s.matches ? 'Probe' : 'Pair'}</th><th>{s.matches ? 'Match' : 'Label'}</th><th className="num">Score</th><th className="num">P(same)</th></tr></thead>
          <tbody>
            {rows.slice(0, 50).map((r) => (
              <tr key={r.key} data-testid="calibrated-row" data-score={r.score} data-probability={r.probability}>
                <td className="ellipsis" title={r.key}>{r.key}</td>
                <td className={r.tone}>{r.label}</td>
                <td className="num mono">{r.score.toFixed(3)}</td>
                <td className="num mono">{pct(r.probability)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
