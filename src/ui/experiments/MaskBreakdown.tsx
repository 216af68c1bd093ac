import { PAIR_KINDS } from './honest.js';
import type { ExperimentRecord } from './records.js';
import { num, pct } from './RunsTable.js';

const KIND_LABEL = { 'masked-masked': 'both masked', 'masked-unmasked': 'one masked', 'unmasked-unmasked': 'neither masked' };

/** Ticked runs with mask labels: the same system's results on each kind of pair, at the run's own threshold. */
export function MaskBreakdown({ runs, names }: { runs: ExperimentRecord[]; names: Map<number | undefined, string> }) {
  const withLabels = runs.filter((r) => r.maskBreakdown);
  if (!withLabels.length) return null;
  return (
    <section data-testid="mask-breakdown">
      <h3 className="section-title">Masked and unmasked pairs <span className="muted">· from the dataset’s labels.txt; accuracy, TAR and TNR at each run’s own threshold</span></h3>
      <div className="table-wrap">
        <table className="runs-table">
          <thead>
            <tr><th>Run</th><th>Pairs</th><th className="num">Count</th><th className="num">Same</th><th className="num">Accuracy</th><th className="num">TAR</th><th className="num">TNR</th><th className="num">Balanced</th><th className="num">AUC</th></tr>
          </thead>
          <tbody>
            {withLabels.flatMap((r) => PAIR_KINDS.filter((k) => r.maskBreakdown![k]).map((k) => {
              const s = r.maskBreakdown![k]!;
              return (
                <tr key={`${r.id}-${k}`} data-testid="mask-row" data-kind={k}>
                  <td className="run-name">#{r.id} {names.get(r.id)}</td><td>{KIND_LABEL[k]}</td>
                  <td className="num mono">{s.pairs}</td><td className="num mono">{s.matched}</td>
                  <td className="num mono">{pct(s.accuracy)}</td><td className="num mono">{pct(s.tar)}</td><td className="num mono">{pct(s.tnr)}</td>
                  <td className="num mono">{pct(s.balancedAccuracy)}</td><td className="num mono">{num(s.auc)}</td>
                </tr>
              );
            }))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
