import { useRef } from 'react';
import { formatMs } from '../format.js';
import { useLab, lab, type NodeStatus } from '../state/store.js';
import { BASE_URL, SAMPLE_DIR, SAMPLES, cancelRun, rerunFromScratch, runNow } from './runner.js';
import { openImageFile } from './input.js';

function StatusList() {
  const pipeline = useLab((s) => s.history.present);
  const statuses = useLab((s) => s.statuses);
  return (
    <table className="status-table" data-testid="status-table">
      <tbody>
        {pipeline.nodes.map((n) => {
          const st: NodeStatus = statuses[n.id] ?? { state: 'idle' };
          return (
            <tr key={n.id} data-node-id={n.id} data-status={st.state}>
              <td><span className={`ff-dot ff-dot-${st.state}`} /></td>
              <td className="mono">{n.label ?? n.id}</td>
              <td className={`st st-${st.state}`}>{st.state}</td>
              <td className="num">{st.state === 'done' ? formatMs(st.ms) : ''}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

/** Input picker (bundled samples, file, drop), run/cancel, auto-run, and per-node status of the last run. */
export function RunPanel() {
  const input = useLab((s) => s.input);
  const running = useLab((s) => s.running);
  const lastRun = useLab((s) => s.lastRun);
  const autoRun = useLab((s) => s.autoRun);
  const runs = useLab((s) => s.runs);
  const pending = useLab((s) => s.pending);
  const fileInput = useRef<HTMLInputElement>(null);
  return (
    <div className="run-panel" data-testid="run-panel">
      <div className="run-inputs">
        <div className="run-section-title">Input image</div>
        <div className="samples">
          {SAMPLES.map((name) => (
            <button key={name} className={`sample${input.kind === 'sample' && input.name === name ? ' active' : ''}`} title={name} data-testid="sample"
              onClick={() => lab.set({ input: { kind: 'sample', name } })}>
              <img src={`${BASE_URL}${SAMPLE_DIR}${name}`} alt={name} loading="lazy" />
            </button>
          ))}
          {input.kind === 'file' && (
            <button className="sample active" title={input.name}>
              <img src={input.url} alt={input.name} onError={(e) => e.currentTarget.parentElement?.classList.add('unreadable')} />
            </button>
          )}
          <button className="sample open-file" onClick={() => fileInput.current?.click()} title="Open an image file (or drop one anywhere)">
            <span>+</span><small>Open…</small>
          </button>
          <input ref={fileInput} type="file" accept="image/*" hidden data-testid="image-file"
            onChange={(e) => {
              const f = e.target.files?.[0];
              if (f) void openImageFile(f);
              e.target.value = '';
            }} />
        </div>
        <div className="muted small">{input.name} · drop an image anywhere to use it</div>
      </div>
      <div className="run-controls">
        {running ? (
          <button className="btn danger" data-testid="cancel" onClick={() => void cancelRun()}>■ Cancel</button>
        ) : (
          <div className="run-buttons">
            <button className="btn primary" data-testid="run" onClick={() => void runNow()} title="Run (Ctrl+Enter); unchanged nodes come from the cache">▶ Run</button>
            <button className="link" data-testid="rerun-all" onClick={() => void rerunFromScratch()} title="Clear the cache and recompute every node">re-run all</button>
          </div>
        )}
        <label className="switch small">
          <input type="checkbox" checked={autoRun} data-testid="auto-run" onChange={(e) => lab.set({ autoRun: e.target.checked })} />
          <span>Re-run on edit</span>
        </label>
        <div className={`run-result run-${running ? 'running' : lastRun?.status ?? 'none'}`} data-testid="run-result" data-status={running ? 'running' : lastRun?.status ?? 'none'} data-runs={runs} data-pending={pending}>
          {running ? 'Running…' : pending ? 'Re-running soon…' : lastRun ? `${lastRun.status}${lastRun.ms ? ` · ${formatMs(lastRun.ms)}` : ''}` : 'not run yet'}
        </div>
        {!running && lastRun?.message && <div className="run-message" data-testid="run-message">{lastRun.message}</div>}
      </div>
      <div className="run-statuses" tabIndex={0} role="region" aria-label="Node statuses of the last run">
        <div className="run-section-title">Nodes</div>
        <StatusList />
      </div>
    </div>
  );
}
