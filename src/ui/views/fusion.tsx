import { useState } from 'react';
import { Bar, BarChart, CartesianGrid, Cell, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { WeightsValue } from '../../graph/values.js';
import { heatColor } from './cascade/draw.js';
import { componentWeights, headMatrices } from './fusion-data.js';
import type { NodeViewProps } from './types.js';

const short = (s: string) => s.replace(/_/g, ' ').replace(/^embedding$/, 'emb');

function FacePicker({ count, face, setFace }: { count: number; face: number; setFace: (i: number) => void }) {
  if (count <= 1) return null;
  return (
    <label className="face-picker small">
      Face{' '}
      <select value={face} data-testid="fusion-face" onChange={(e) => setFace(Number(e.target.value))}>
        {Array.from({ length: count }, (_, i) => <option key={i} value={i}>#{i + 1}</option>)}
      </select>
    </label>
  );
}

function ComponentBars({ w, size }: { w: WeightsValue; size: 'thumb' | 'full' }) {
  const [face, setFace] = useState(0);
  const { faces, labels, row } = componentWeights(w);
  const f = Math.min(face, faces - 1);
  if (faces < 1 || !labels.length) return <div className="view-empty">no faces</div>;
  const data = row(f).map((v, i) => ({ name: short(labels[i]), value: v }));
  const max = Math.max(...data.map((d) => d.value));
  const thumb = size === 'thumb';
  return (
    <div className="fusion-bars" data-testid="fusion-bars" data-bars={data.length}>
      {!thumb && (
        <div className="fusion-head">
          <span className="muted small">{w.kind === 'fusion-concat' ? 'mean |W| per context component (static)' : 'softmax attention over the context components'}</span>
          <FacePicker count={faces} face={f} setFace={setFace} />
        </div>
      )}
      <ResponsiveContainer width="100%" height={thumb ? 110 : 300}>
        <BarChart data={data} layout="vertical" margin={{ top: 4, right: 12, bottom: 4, left: thumb ? 0 : 8 }}>
          {!thumb && <CartesianGrid horizontal={false} stroke="#263041" />}
          <XAxis type="number" hide={thumb} tick={{ fill: '#9aa7b8', fontSize: 11 }} stroke="#334155" domain={[0, 'auto']} />
          <YAxis type="category" dataKey="name" hide={thumb} width={110} tick={{ fill: '#9aa7b8', fontSize: 11 }} stroke="#334155" interval={0} />
          {!thumb && <Tooltip cursor={{ fill: 'rgba(255,255,255,0.04)' }} contentStyle={{ background: '#18202b', border: '1px solid #334155', borderRadius: 6 }} formatter={(v) => Number(v).toFixed(3)} />}
          <Bar dataKey="value" isAnimationActive={false} radius={[0, 3, 3, 0]}>
            {data.map((d, i) => <Cell key={i} fill={d.value === max ? '#f78c4f' : '#4f9cf7'} />)}
          </Bar>
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}

/** One attention matrix (query rows x key columns) as an SVG heatmap with token labels. */
function Matrix({ m, labels, title, cell, showLabels }: { m: number[][]; labels: string[]; title: string; cell: number; showLabels: boolean }) {
  const pad = showLabels ? 54 : 0;
  const n = m.length;
  const k = m[0]?.length ?? 0;
  // Colours span 0..max of this matrix (untrained heads are near-uniform, ~1/k everywhere).
  const max = Math.max(1e-6, ...m.flat());
  return (
    <figure className="head-matrix" data-testid="head-matrix">
      <svg width={pad + k * cell} height={pad + n * cell} role="img" aria-label={title}>
        {showLabels && labels.slice(0, k).map((l, j) => (
          <text key={`c${j}`} x={pad + j * cell + cell / 2} y={pad - 4} transform={`rotate(-60 ${pad + j * cell + cell / 2} ${pad - 4})`} fontSize={8} fill="#9aa7b8">{short(l)}</text>
        ))}
        {showLabels && labels.slice(0, n).map((l, i) => (
          <text key={`r${i}`} x={pad - 4} y={pad + i * cell + cell * 0.7} textAnchor="end" fontSize={8} fill="#9aa7b8">{short(l)}</text>
        ))}
        {m.map((row, i) => row.map((v, j) => {
          const [r, g, b] = heatColor(v / max);
          return (
            <rect key={`${i}.${j}`} x={pad + j * cell} y={pad + i * cell} width={cell - 1} height={cell - 1} fill={`rgb(${r | 0},${g | 0},${b | 0})`}>
              <title>{`${labels[i] ?? i} → ${labels[j] ?? j}: ${v.toFixed(3)}`}</title>
            </rect>
          );
        }))}
      </svg>
      <figcaption>{title} <span className="mono">· max {max.toFixed(2)}</span></figcaption>
    </figure>
  );
}

function HeadMatrices({ w, size }: { w: WeightsValue; size: 'thumb' | 'full' }) {
  const [face, setFace] = useState(0);
  const faces = w.shape[0] ?? 0;
  if (w.shape.length !== 4 || faces < 1) return <div className="view-empty">no faces</div>;
  const f = Math.min(face, faces - 1);
  const heads = headMatrices(w, f);
  const labels = w.labels ?? [];
  if (size === 'thumb') {
    // The heads' mean, small.
    const mean = heads[0].map((row, i) => row.map((_, j) => heads.reduce((s, h) => s + h[i][j], 0) / heads.length));
    return <div className="fusion-thumb"><Matrix m={mean} labels={labels} title={`${heads.length} heads, mean`} cell={8} showLabels={false} /></div>;
  }
  return (
    <div className="fusion-heads" data-testid="fusion-heads">
      <div className="fusion-head">
        <span className="muted small">rows: query token · columns: key token · each row sums to 1 · colour scaled to each head’s max</span>
        <FacePicker count={faces} face={f} setFace={setFace} />
      </div>
      <div className="head-grid">
        {heads.map((m, h) => <Matrix key={h} m={m} labels={labels} title={`head ${h + 1}`} cell={heads.length > 2 ? 8 : 12} showLabels />)}
      </div>
    </div>
  );
}

/** The fusion nodes: bars over the context components (concat, attention) or per-head matrices (transformer). */
export function FusionView({ outputs, size, report }: NodeViewProps) {
  const w = outputs.weights as WeightsValue | undefined;
  if (!w?.data) return <div className="view-empty">no weights</div>;
  return (
    <div className="fusion-view">
      {w.shape.length === 4 ? <HeadMatrices w={w} size={size} /> : <ComponentBars w={w} size={size} />}
      {size === 'full' && typeof report?.weights === 'string' && <div className="muted small">weights: {report.weights}</div>}
    </div>
  );
}
