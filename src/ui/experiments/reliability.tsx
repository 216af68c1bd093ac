import { CartesianGrid, Legend, Line, LineChart, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { CalibrationReport, ReliabilityBin } from '../../eval/calibration.js';
import { RUN_COLORS } from './charts.js';
import type { ExperimentRecord } from './records.js';

const SERIES = [
  { key: 'raw', name: 'raw score', color: '#9aa7b8' },
  { key: 'platt', name: 'Platt (k-fold)', color: '#4f9cf7' },
  { key: 'isotonic', name: 'isotonic (k-fold)', color: '#5de39a' },
] as const;
const axis = { tick: { fill: '#9aa7b8', fontSize: 11 }, stroke: '#334155' };
const tooltipStyle = { background: '#18202b', border: '1px solid #334155', borderRadius: 6, fontSize: 12 };
const points = (bins: ReliabilityBin[]) => bins.filter((b) => b.count).map((b) => ({ confidence: b.confidence, accuracy: b.accuracy, pairs: b.count }));

/** One run's reliability diagram: share of same-person pairs against mean probability per bin; the diagonal is perfect calibration. */
function ReliabilityChart({ run, color }: { run: ExperimentRecord & { calibration: CalibrationReport }; color: string }) {
  const c = run.calibration;
  return (
    <figure className="histogram" data-testid="reliability-chart" data-run={run.id} data-ece-raw={c.ece.raw} data-ece-platt={c.ece.platt} data-ece-isotonic={c.ece.isotonic}>
      <figcaption><span className="run-swatch" style={{ background: color }} />#{run.id} {run.preset}</figcaption>
      <div className="muted small mono" data-testid="ece">
        ECE raw {c.ece.raw.toFixed(3)} · Platt {c.ece.platt.toFixed(3)} · isotonic {c.ece.isotonic.toFixed(3)} <span className="muted">({c.pairs} pairs, {c.folds}-fold, {c.bins} bins)</span>
      </div>
      <ResponsiveContainer width="100%" height={200}>
        <LineChart margin={{ top: 6, right: 10, bottom: 18, left: -12 }}>
          <CartesianGrid stroke="#263041" />
          <XAxis dataKey="confidence" type="number" domain={[0, 1]} ticks={[0, 0.25, 0.5, 0.75, 1]} {...axis}
            label={{ value: 'mean probability in bin', position: 'insideBottom', offset: -8, fill: '#6b778a', fontSize: 11 }} />
          <YAxis type="number" domain={[0, 1]} ticks={[0, 0.25, 0.5, 0.75, 1]} {...axis}
            label={{ value: 'share same', angle: -90, position: 'insideLeft', offset: 18, fill: '#6b778a', fontSize: 11 }} />
          <Tooltip contentStyle={tooltipStyle} formatter={(v, name) => [Number(v).toFixed(3), name]} labelFormatter={(v) => `probability ${Number(v).toFixed(3)}`} />
          <Legend verticalAlign="top" height={22} wrapperStyle={{ fontSize: 11 }} />
          <ReferenceLine segment={[{ x: 0, y: 0 }, { x: 1, y: 1 }]} stroke="#e3b341" strokeDasharray="4 3" />
          {SERIES.map((s) => (
            <Line key={s.key} name={s.name} data={points(c.reliability[s.key])} dataKey="accuracy" type="linear" stroke={s.color} strokeWidth={2}
              dot={{ r: 3 }} isAnimationActive={false} />
          ))}
        </LineChart>
      </ResponsiveContainer>
    </figure>
  );
}

/** Experiments: reliability diagrams and expected calibration error of the ticked runs. */
export function ReliabilitySection({ runs }: { runs: ExperimentRecord[] }) {
  const measured = runs.filter((r): r is ExperimentRecord & { calibration: CalibrationReport } => !!r.calibration);
  return (
    <section data-testid="reliability">
      <h3 className="section-title">Calibration <span className="muted">· reliability of match scores read as P(same person); dashed: perfect calibration; ECE = expected calibration error</span></h3>
      {measured.length < runs.length && <div className="muted small">Runs recorded before calibration was measured have no diagram: run them again.</div>}
      <div className="histogram-grid">
        {measured.map((r) => <ReliabilityChart key={r.id} run={r} color={RUN_COLORS[runs.indexOf(r) % RUN_COLORS.length]} />)}
      </div>
    </section>
  );
}
