import { formatMs } from '../format.js';
import { RUN_COLORS } from './charts.js';
import { balancedAccuracy, isImbalanced, matchedShare, pairCounts } from './honest.js';
import { operatingPoint, type ExperimentRecord } from './records.js';

export const pct = (v: number) => (Number.isFinite(v) ? `${(v * 100).toFixed(2)}%` : '–');
export const num = (v: number, d = 4) => (Number.isFinite(v) ? v.toFixed(d) : '–');

interface Props {
  records: ExperimentRecord[];
  names: Map<number | undefined, string>;
  selected: number[];
  far: number;
  toggle: (id: number) => void;
  remove: (id: number) => void;
}

/**
 * The runs side by side. Accuracy counts every pair alike, so on a pair set that is mostly
 * mismatched (a folder run pairs every two images) it mostly measures rejecting: the table shows
 * balanced accuracy and TAR at a FAR beside it, and says so under any run whose set is imbalanced.
 */
export function RunsTable({ records, names, selected, far, toggle, remove }: Props) {
  const imbalanced = records.filter((r) => isImbalanced(r.metrics));
  return (
    <>
      <div className="table-wrap">
        <table className="runs-table" data-testid="runs-table">
          <thead>
            <tr>
              <th><span className="sr-only">Overlay</span></th><th>#</th><th>Run</th><th>Dataset</th><th className="num">Pairs</th><th className="num">Accuracy</th>
              <th className="num" title="(TAR + TNR) / 2 at its best threshold: the same whatever the share of matched pairs">Balanced</th>
              <th className="num">AUC</th><th className="num">EER</th><th className="num">TAR@1e-3</th>
              <th className="num">Thr @ FAR</th><th className="num">TAR @ FAR</th><th className="num">Time</th><th><span className="sr-only">Delete</span></th>
            </tr>
          </thead>
          <tbody>
            {records.map((r) => {
              const i = selected.indexOf(r.id!);
              const op = operatingPoint(r, far);
              const c = pairCounts(r.metrics);
              return (
                <tr key={r.id} data-testid="run-row" data-id={r.id} className={i >= 0 ? 'selected' : ''}>
                  <td><input type="checkbox" checked={i >= 0} onChange={() => toggle(r.id!)} data-testid="run-select" aria-label={`overlay run ${r.id}`} /></td>
                  <td className="mono" title={new Date(r.time).toLocaleString()}>{i >= 0 && <span className="run-swatch" style={{ background: RUN_COLORS[i % RUN_COLORS.length] }} />}{r.id}</td>
                  <td className="run-name" data-testid="run-name" title={`${names.get(r.id)}\n${r.source === 'cli' ? 'imported from faceflow eval' : `pipeline hash ${r.presetHash.slice(0, 12)}`} · ${new Date(r.time).toLocaleString()}`}>
                    {names.get(r.id)}{r.source === 'cli' && <span className="chip cli-chip">CLI</span>}
                  </td>
                  <td className="wrap" title={r.dataset.pairs ? `pairs: ${r.dataset.pairs}` : 'pairs from folders'}>{r.dataset.name} <span className="muted">({r.dataset.items}{r.dataset.failed ? `, ${r.dataset.failed} failed` : ''})</span></td>
                  <td className="num mono" title={`${c.matched} matched, ${c.mismatched} mismatched`}>{r.metrics.pairs}<span className="cell-sub">{(matchedShare(r.metrics) * 100).toFixed(0)}% same</span></td>
                  <td className="num mono" data-testid="run-accuracy">{pct(r.metrics.accuracy.mean)} <span className="muted">±{(r.metrics.accuracy.std * 100).toFixed(1)}</span></td>
                  <td className="num mono" data-testid="run-balanced" title={r.metrics.roc.length ? undefined : 'needs the ROC: import the --roc CSV with the JSON'}>{pct(balancedAccuracy(r.metrics.roc))}</td>
                  <td className="num mono">{num(r.metrics.auc)}</td>
                  <td className="num mono">{pct(r.metrics.eer)}</td>
                  <td className="num mono">{pct(r.metrics.tarAtFar['0.001'])}</td>
                  <td className="num mono" data-testid="op-threshold">{num(op.threshold)}</td>
                  <td className="num mono" data-testid="op-tar">{pct(op.tar)}</td>
                  <td className="num mono">{formatMs(r.ms)}<span className="cell-sub">{r.backend}</span></td>
                  <td><button className="link danger-link" onClick={() => remove(r.id!)} title="Delete this run" aria-label={`delete run ${r.id}`}>delete</button></td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      {imbalanced.map((r) => {
        const share = matchedShare(r.metrics);
        const rejectAll = Math.max(share, 1 - share);
        return (
          <p key={r.id} className="imbalance-note" data-testid="imbalance-note" data-id={r.id}>
            Run #{r.id}: only {(Math.min(share, 1 - share) * 100).toFixed(1)}% of its {r.metrics.pairs} pairs are {share < 0.5 ? 'matched' : 'mismatched'}, so answering
            “{share < 0.5 ? 'different' : 'same'}” to every pair would already score {pct(rejectAll)}. Its accuracy ({pct(r.metrics.accuracy.mean)}) mostly measures that;
            read balanced accuracy ({pct(balancedAccuracy(r.metrics.roc))}, the mean of TAR and TNR) and TAR at a fixed FAR instead, or run it on a balanced pairs.txt.
          </p>
        );
      })}
    </>
  );
}
