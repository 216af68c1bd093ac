import { Area, AreaChart, CartesianGrid, Line, LineChart, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { ExperimentRecord } from './records.js';
import { operatingPoint, thinRoc } from './records.js';

export const RUN_COLORS = ['#4f9cf7', '#f78c4f', '#5de39a', '#c77dff', '#f7d44f', '#f0616d'];
const FLOOR = 1e-4;
const LOG_TICKS = [1e-4, 1e-3, 1e-2, 1e-1, 1];
const axis = { tick: { fill: '#9aa7b8', fontSize: 11 }, stroke: '#334155' };
const logTick = (v: number) => (v >= 1 ? '1' : `1e${Math.round(Math.log10(v))}`);
const tooltipStyle = { background: '#18202b', border: '1px solid #334155', borderRadius: 6, fontSize: 12 };
/** What a run is called in the charts: its number and the name the runs table gives it. */
export type RunNames = Map<number | undefined, string>;
const label = (r: ExperimentRecord, names?: RunNames) => `#${r.id} ${names?.get(r.id) ?? r.preset}`;

/** The runs' colours and names, beside the charts rather than over their curves. */
export function ChartLegend({ runs, names }: { runs: ExperimentRecord[]; names: RunNames }) {
  return (
    <ul className="chart-legend" data-testid="chart-legend">
      {runs.map((r, i) => <li key={r.id}><span className="run-swatch" style={{ background: RUN_COLORS[i % RUN_COLORS.length] }} />{label(r, names)}{r.metrics.roc.length ? '' : ' (no ROC imported)'}</li>)}
    </ul>
  );
}

/** ROC: TAR against FAR on a log axis, one line per run, the picked FAR marked. */
export function RocChart({ runs, far, names }: { runs: ExperimentRecord[]; far: number; names: RunNames }) {
  return (
    <ResponsiveContainer width="100%" height={280}>
      <LineChart margin={{ top: 8, right: 16, bottom: 20, left: 0 }}>
        <CartesianGrid stroke="#263041" />
        <XAxis dataKey="far" type="number" scale="log" domain={[FLOOR, 1]} ticks={LOG_TICKS} tickFormatter={logTick} allowDataOverflow {...axis}
          label={{ value: 'false accept rate (log)', position: 'insideBottom', offset: -10, fill: '#6b778a', fontSize: 11 }} />
        <YAxis type="number" domain={[0, 1]} {...axis} label={{ value: 'TAR', angle: -90, position: 'insideLeft', offset: 14, fill: '#6b778a', fontSize: 11 }} />
        <Tooltip contentStyle={tooltipStyle} formatter={(v) => Number(v).toFixed(4)} labelFormatter={(v) => `FAR ${Number(v).toExponential(1)}`} />
        <ReferenceLine x={far} stroke="#e3b341" strokeDasharray="4 3" />
        {runs.map((r, i) => (
          <Line key={r.id} name={label(r, names)} data={thinRoc(r.metrics.roc).map((p) => ({ far: Math.max(FLOOR, p.far), tar: p.tar }))} dataKey="tar"
            type="stepAfter" stroke={RUN_COLORS[i % RUN_COLORS.length]} strokeWidth={2} dot={false} isAnimationActive={false} />
        ))}
      </LineChart>
    </ResponsiveContainer>
  );
}

/** DET: false reject rate against false accept rate, both on log axes. */
export function DetChart({ runs, far, names }: { runs: ExperimentRecord[]; far: number; names: RunNames }) {
  return (
    <ResponsiveContainer width="100%" height={280}>
      <LineChart margin={{ top: 8, right: 16, bottom: 20, left: 0 }}>
        <CartesianGrid stroke="#263041" />
        <XAxis dataKey="far" type="number" scale="log" domain={[FLOOR, 1]} ticks={LOG_TICKS} tickFormatter={logTick} allowDataOverflow {...axis}
          label={{ value: 'false accept rate (log)', position: 'insideBottom', offset: -10, fill: '#6b778a', fontSize: 11 }} />
        <YAxis type="number" scale="log" domain={[FLOOR, 1]} ticks={LOG_TICKS} tickFormatter={logTick} allowDataOverflow {...axis}
          label={{ value: 'FRR (log)', angle: -90, position: 'insideLeft', offset: 14, fill: '#6b778a', fontSize: 11 }} />
        <Tooltip contentStyle={tooltipStyle} formatter={(v) => Number(v).toExponential(2)} labelFormatter={(v) => `FAR ${Number(v).toExponential(1)}`} />
        <ReferenceLine x={far} stroke="#e3b341" strokeDasharray="4 3" />
        {runs.map((r, i) => (
          <Line key={r.id} name={label(r, names)} data={thinRoc(r.metrics.roc).map((p) => ({ far: Math.max(FLOOR, p.far), frr: Math.max(FLOOR, 1 - p.tar) }))} dataKey="frr"
            type="stepAfter" stroke={RUN_COLORS[i % RUN_COLORS.length]} strokeWidth={2} dot={false} isAnimationActive={false} />
        ))}
      </LineChart>
    </ResponsiveContainer>
  );
}

/** Score histogram of one run: matched and mismatched pairs (each as a fraction of its own), with the threshold at the picked FAR. */
export function HistogramChart({ run, far, color, names }: { run: ExperimentRecord; far: number; color: string; names: RunNames }) {
  const h = run.metrics.histogram;
  const nm = h.matched.reduce((a, b) => a + b, 0) || 1;
  const nn = h.mismatched.reduce((a, b) => a + b, 0) || 1;
  const data = h.matched.map((m, i) => ({ score: (h.edges[i] + h.edges[i + 1]) / 2, matched: m / nm, mismatched: h.mismatched[i] / nn }));
  const op = operatingPoint(run, far);
  return (
    <figure className="histogram" data-testid="histogram">
      <figcaption><span className="run-swatch" style={{ background: color }} />{label(run, names)}</figcaption>
      <ResponsiveContainer width="100%" height={170}>
        <AreaChart data={data} margin={{ top: 6, right: 10, bottom: 4, left: -18 }}>
          <CartesianGrid stroke="#263041" />
          <XAxis dataKey="score" type="number" domain={['dataMin', 'dataMax']} tickFormatter={(v) => Number(v).toFixed(2)} {...axis} />
          <YAxis {...axis} tickFormatter={(v) => `${Math.round(v * 100)}%`} />
          <Tooltip contentStyle={tooltipStyle} formatter={(v) => `${(Number(v) * 100).toFixed(1)}%`} labelFormatter={(v) => `score ${Number(v).toFixed(3)}`} />
          <Area type="step" dataKey="mismatched" stroke="#f0616d" fill="#f0616d" fillOpacity={0.3} isAnimationActive={false} />
          <Area type="step" dataKey="matched" stroke="#43c67e" fill="#43c67e" fillOpacity={0.3} isAnimationActive={false} />
          {Number.isFinite(op.threshold) && <ReferenceLine x={op.threshold} stroke="#e3b341" strokeDasharray="4 3" />}
        </AreaChart>
      </ResponsiveContainer>
    </figure>
  );
}
