import { useCallback } from 'react';
import type { FacesValue } from '../../graph/values';
import { useLab } from '../state/store';
import { drawBoxes } from './boxes';
import { ImageCanvas } from './image';
import type { NodeViewProps } from './types';
import { upstreamValue } from './upstream';

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
  ctx.font = `${Math.max(12, Math.round(14 * Math.min(1, k * 2)))}px system-ui, sans-serif`;
  const w = ctx.measureText(text).width + 8;
  const y = Math.max(0, box[1] * k - 20);
  ctx.fillStyle = LABEL;
  ctx.fillRect(box[0] * k, y, w, 20);
  ctx.fillStyle = '#000';
  ctx.fillText(text, box[0] * k + 4, y + 15);
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
      {s.matches && (
        <table className="gallery-table" data-testid="calibrated-matches">
          <thead><tr><th>Probe</th><th>Match</th><th className="num">Score</th><th className="num">P(same)</th></tr></thead>
          <tbody>
            {s.matches.slice(0, 50).map((m) => (
              <tr key={m.probe} data-testid="calibrated-row" data-score={m.score} data-probability={m.probability}>
                <td className="ellipsis" title={m.probe}>{m.probe}</td>
                <td className={m.identity && m.identity === m.label ? 'ok' : m.identity ? 'bad' : 'muted'}>{m.identity ?? 'rejected'}</td>
                <td className="num mono">{m.score.toFixed(3)}</td>
                <td className="num mono">{pct(m.probability)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {s.pairs && (
        <table className="gallery-table" data-testid="calibrated-pairs">
          <thead><tr><th>Pair</th><th>Label</th><th className="num">Score</th><th className="num">P(same)</th></tr></thead>
          <tbody>
            {s.pairs.slice(0, 50).map((p) => (
              <tr key={`${p.a}|${p.b}`} data-testid="calibrated-row" data-score={p.score} data-probability={p.probability}>
                <td className="ellipsis" title={`${p.a} · ${p.b}`}>{p.a} · {p.b}</td>
                <td className="muted">{p.same === undefined ? '' : p.same ? 'same' : 'different'}</td>
                <td className="num mono">{p.score.toFixed(3)}</td>
                <td className="num mono">{pct(p.probability)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
