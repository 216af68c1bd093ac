import { useEffect, useMemo, useState } from 'react';
import { useReactFlow } from '@xyflow/react';
import { Canvas } from './editor/Canvas.js';
import { FIT_OPTIONS } from './editor/layout.js';
import { Palette } from './editor/Palette.js';
import { QuickAdd } from './editor/QuickAdd.js';
import { HelpPanel } from './HelpPanel.js';
import { Inspector } from './inspector/Inspector.js';
import { importPresetFile, isPngFile, pipelineTextFromPng } from './presets/actions.js';
import { Gallery } from './presets/Gallery.js';
import { openImageFile } from './run/input.js';
import { RunPanel } from './run/RunPanel.js';
import { isEditable, shortcuts } from './shortcuts.js';
import { dismissToast, useLab } from './state/store.js';
import { TopBar } from './TopBar.js';
import { OutputView } from './views/OutputView.js';
import { CascadeViewer } from './views/cascade/CascadeView.js';
import { ExperimentsView } from './experiments/ExperimentsView.js';
import { announceEdits, useAnnouncement } from './a11y/announce.js';
import { ConnectPicker } from './editor/ConnectPicker.js';

/** The live region: what the last edit did ("connected …", "deleted …", "undo: …"), for screen readers. */
function Announcer() {
  const text = useAnnouncement();
  return <div className="sr-only" role="status" aria-live="polite" aria-atomic="true" data-testid="announcer">{text}</div>;
}

function Toasts() {
  const toasts = useLab((s) => s.toasts);
  return (
    <div className="toasts" role="log" aria-live="polite" aria-label="Messages">
      {toasts.map((t) => (
        <div key={t.id} className={`toast toast-${t.kind}`} data-testid={`toast-${t.kind}`}>
          {t.text}
          {t.action && <> <button className="link" data-testid="toast-action" style={{ pointerEvents: 'auto' }} onClick={() => { t.action!.run(); dismissToast(t.id); }}>{t.action.label}</button></>}
        </div>
      ))}
    </div>
  );
}

/** A dropped PNG: a lab export restores its pipeline; any other PNG becomes the input image. */
async function dropPng(file: File): Promise<void> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  if (pipelineTextFromPng(file.name, bytes).ok) void importPresetFile(file);
  else void openImageFile(file);
}

/** The lab: top bar, palette/presets on the left, canvas and run panel in the middle, inspector and output on the right. */
export function App() {
  const flow = useReactFlow();
  const helpOpen = useLab((s) => s.helpOpen);
  const bigView = useLab((s) => s.bigView);
  const [tab, setTab] = useState<'nodes' | 'presets'>('nodes');
  const fitView = () => void flow.fitView({ ...FIT_OPTIONS, duration: 200 });
  const list = useMemo(() => shortcuts((p) => flow.screenToFlowPosition(p), fitView), [flow]); // eslint-disable-line react-hooks/exhaustive-deps

  useEffect(announceEdits, []);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (isEditable(e.target) || document.querySelector('.quick-add')) return;
      const mod = e.ctrlKey || e.metaKey;
      const hit = list.find((s) => !s.capture && s.match(e, mod));
      if (!hit) return;
      e.preventDefault();
      hit.run(e);
    };
    const onKeyCapture = (e: KeyboardEvent) => {
      if (isEditable(e.target) || document.querySelector('.quick-add')) return;
      const hit = list.find((s) => s.capture && s.match(e, e.ctrlKey || e.metaKey));
      if (!hit) return;
      e.preventDefault();
      e.stopPropagation();
      hit.run(e);
    };
    // Files dropped anywhere: images become the run's input, .json files are imported as presets.
    const onDragOver = (e: DragEvent) => e.dataTransfer?.types.includes('Files') && e.preventDefault();
    const onDrop = (e: DragEvent) => {
      const file = e.dataTransfer?.files[0];
      if (!file) return;
      e.preventDefault();
      if (file.name.endsWith('.json') || file.type === 'application/json') void importPresetFile(file);
      else if (isPngFile(file)) void dropPng(file);
      else void openImageFile(file);
    };
    addEventListener('keydown', onKey);
    addEventListener('keydown', onKeyCapture, true);
    addEventListener('dragover', onDragOver);
    addEventListener('drop', onDrop);
    return () => {
      removeEventListener('keydown', onKey);
      removeEventListener('keydown', onKeyCapture, true);
      removeEventListener('dragover', onDragOver);
      removeEventListener('drop', onDrop);
    };
  }, [list]);

  return (
    <div className="app">
      <TopBar fitView={fitView} />
      <aside className="sidebar left" aria-label="Node palette and presets">
        <div className="tabs" role="tablist" aria-label="Left panel">
          <button role="tab" id="tab-nodes" aria-selected={tab === 'nodes'} aria-controls="left-panel" className={tab === 'nodes' ? 'active' : ''} data-testid="tab-nodes" onClick={() => setTab('nodes')}>Nodes</button>
          <button role="tab" id="tab-presets" aria-selected={tab === 'presets'} aria-controls="left-panel" className={tab === 'presets' ? 'active' : ''} data-testid="tab-presets" onClick={() => setTab('presets')}>Presets</button>
        </div>
        <div className="sidebar-scroll" id="left-panel" role="tabpanel" aria-labelledby={`tab-${tab}`} tabIndex={0}>
          <h2 className="sr-only">{tab === 'nodes' ? 'Node palette' : 'Presets'}</h2>
          {tab === 'nodes' ? <Palette /> : <Gallery />}
        </div>
      </aside>
      <main className="center" aria-label="Pipeline editor">
        <Canvas />
        <RunPanel />
      </main>
      <aside className="sidebar right" aria-label="Inspector and output">
        <div className="sidebar-scroll inspector-pane" role="region" aria-label="Inspector" tabIndex={0}><Inspector /></div>
        <div className="sidebar-scroll output-pane" role="region" aria-label="Output" tabIndex={0}><OutputView /></div>
      </aside>
      {bigView?.kind === 'cascade' && <CascadeViewer nodeId={bigView.nodeId} />}
      {bigView?.kind === 'experiments' && <ExperimentsView />}
      <QuickAdd />
      <ConnectPicker />
      <Announcer />
      {helpOpen && <HelpPanel list={list} />}
      <Toasts />
    </div>
  );
}
