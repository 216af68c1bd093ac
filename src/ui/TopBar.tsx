import { BACKENDS } from '../runtime/backend.js';
import type { BackendSetting } from '../runtime/browser-worker.js';
import { useReactFlow } from '@xyflow/react';
import { addAnnotationAt, layout } from './editor/commands.js';
import { canvasSize } from './editor/layout.js';
import { shareUrl } from './presets/share.js';
import { setBackend } from './run/runner.js';
import { doc, lab, redoEdit, toast, undoEdit, useLab } from './state/store.js';
import { drawPipeline } from './editor/graph-png.js';
import { slug } from './presets/actions.js';
import { exportResultPng } from './views/export.js';
import { modName } from './shortcuts.js';

/** Title, history buttons, layout/fit/help, and the backend switch with what is in use and why. */
/** Copy a link that opens the lab on this pipeline; where the clipboard is refused, the message shows the link. */
async function copyLink(): Promise<void> {
  const url = await shareUrl(doc());
  try {
    await navigator.clipboard.writeText(url);
    toast(`Link copied (${Math.round(url.length / 1024 * 10) / 10} kB): it opens this pipeline in the lab`);
  } catch {
    toast(`Copy this link: ${url}`, 'info', 20_000);
  }
}

export function TopBar({ fitView }: { fitView: () => void }) {
  const flow = useReactFlow();
  const addAtCentre = (kind: 'note' | 'group') => {
    const box = document.querySelector('.canvas')?.getBoundingClientRect();
    const size = canvasSize();
    addAnnotationAt(kind, flow.screenToFlowPosition({ x: (box?.left ?? 0) + size.width / 2, y: (box?.top ?? 0) + size.height / 2 }));
  };
  const name = useLab((s) => s.history.present.name);
  const canUndo = useLab((s) => s.history.past.length > 0);
  const canRedo = useLab((s) => s.history.future.length > 0);
  const setting = useLab((s) => s.backendSetting);
  const backend = useLab((s) => s.backend);
  const backendError = useLab((s) => s.backendError);
  const bigView = useLab((s) => s.bigView);
  const datasetRun = useLab((s) => s.datasetRun);
  return (
    <header className="topbar">
      <div className="brand">
        <svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true">
          <circle cx="6" cy="12" r="3" fill="#4f9cf7" /><circle cx="18" cy="6" r="3" fill="#5de39a" /><circle cx="18" cy="18" r="3" fill="#f78c4f" />
          <path d="M9 12 C13 12 13 6 15 6 M9 12 C13 12 13 18 15 18" stroke="#8b98a9" strokeWidth="1.5" fill="none" />
        </svg>
        <h1 className="brand-name">FaceFlow Lab</h1>
        <span className="doc-name" data-testid="doc-name">{name}</span>
      </div>
      <div className="toolbar" role="toolbar" aria-label="Edit and view">
        <button className="icon-btn" data-testid="undo" disabled={!canUndo} onClick={undoEdit} title={`Undo (${modName}+Z)`} aria-label="Undo">↶</button>
        <button className="icon-btn" data-testid="redo" disabled={!canRedo} onClick={redoEdit} title={`Redo (Shift+${modName}+Z)`} aria-label="Redo">↷</button>
        <span className="sep" />
        <button className={`btn small experiments-btn${bigView?.kind === 'experiments' ? ' active' : ''}`} data-testid="open-experiments"
          onClick={() => lab.set({ bigView: bigView?.kind === 'experiments' ? undefined : { kind: 'experiments' } })} title="Dataset runs, metrics and ROC curves">
          Experiments{datasetRun ? ` · ${datasetRun.done}/${datasetRun.total}` : ''}
        </button>
        <span className="sep" />
        <button className="icon-btn" data-testid="add-note" onClick={() => addAtCentre('note')} title="Add a note" aria-label="Add a note">✎</button>
        <button className="icon-btn" data-testid="add-group" onClick={() => addAtCentre('group')} title="Add a group frame" aria-label="Add a group frame">▭</button>
        <button className="icon-btn" onClick={layout} title="Auto-layout (L)" aria-label="Auto-layout">⊞</button>
        <button className="icon-btn" onClick={fitView} title="Fit view (F)" aria-label="Fit view">⤢</button>
        <button className="icon-btn" data-testid="export-canvas-png" aria-label="Export the pipeline as PNG" title="Export the pipeline as a PNG picture, with its JSON embedded (drop it on the lab to restore it)"
          onClick={() => { const d = doc(); exportResultPng(drawPipeline(d), d, `${slug(d.name)}.pipeline.png`).catch((e) => toast(`PNG export: ${(e as Error).message}`, 'error')); }}>⤓</button>
        <button className="btn small" data-testid="copy-link" onClick={() => void copyLink().catch((e) => toast(`Link: ${(e as Error).message}`, 'error'))} title="Copy a link that opens this pipeline (it is in the link itself, compressed)">Copy link</button>
        <button className="icon-btn" data-testid="help-button" onClick={() => lab.set({ helpOpen: true })} title="Shortcuts (?)" aria-label="Keyboard shortcuts">?</button>
      </div>
      <div className="backend" role="group" aria-label="Compute backend">
        <label htmlFor="backend-select">Backend</label>
        <select id="backend-select" data-testid="backend-select" value={setting} onChange={(e) => void setBackend(e.target.value as BackendSetting)}>
          <option value="auto">auto</option>
          {BACKENDS.map((b) => <option key={b} value={b}>{b}</option>)}
        </select>
        <span className={`backend-badge${backendError ? ' error' : ''}`} data-testid="backend-in-use" data-backend={backend?.name ?? ''} title={backendError ?? backend?.reason ?? 'starting…'}>
          {backendError ? 'error' : backend?.name ?? '…'}
        </span>
        <span className="backend-reason" title={backend?.reason}>{backendError ?? backend?.reason ?? 'initialising'}</span>
      </div>
    </header>
  );
}
