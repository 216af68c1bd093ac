import { useEffect, useMemo, useState } from 'react';
import { useReactFlow } from '@xyflow/react';
import { Canvas } from './editor/Canvas';
import { Palette } from './editor/Palette';
import { QuickAdd } from './editor/QuickAdd';
import { HelpPanel } from './HelpPanel';
import { Inspector } from './inspector/Inspector';
import { importPresetFile, isPngFile, pipelineTextFromPng } from './presets/actions';
import { Gallery } from './presets/Gallery';
import { openImageFile } from './run/input';
import { RunPanel } from './run/RunPanel';
import { isEditable, shortcuts } from './shortcuts';
import { useLab } from './state/store';
import { TopBar } from './TopBar';
import { OutputView } from './views/OutputView';
import { CascadeViewer } from './views/cascade/CascadeView';
import { ExperimentsView } from './experiments/ExperimentsView';

function Toasts() {
  const toasts = useLab((s) => s.toasts);
  return (
    <div className="toasts" aria-live="polite">
      {toasts.map((t) => <div key={t.id} className={`toast toast-${t.kind}`} data-testid={`toast-${t.kind}`}>{t.text}</div>)}
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
  const fitView = () => void flow.fitView({ padding: 0.25, maxZoom: 1.1, duration: 200 });
  const list = useMemo(() => shortcuts((p) => flow.screenToFlowPosition(p), fitView), [flow]); // eslint-disable-line react-hooks/exhaustive-deps

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (isEditable(e.target) || document.querySelector('.quick-add')) return;
      const mod = e.ctrlKey || e.metaKey;
      const hit = list.find((s) => s.match(e, mod));
      if (!hit) return;
      e.preventDefault();
      hit.run();
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
    addEventListener('dragover', onDragOver);
    addEventListener('drop', onDrop);
    return () => {
      removeEventListener('keydown', onKey);
      removeEventListener('dragover', onDragOver);
      removeEventListener('drop', onDrop);
    };
  }, [list]);

  return (
    <div className="app">
      <TopBar fitView={fitView} />
      <aside className="sidebar left">
        <nav className="tabs">
          <button className={tab === 'nodes' ? 'active' : ''} data-testid="tab-nodes" onClick={() => setTab('nodes')}>Nodes</button>
          <button className={tab === 'presets' ? 'active' : ''} data-testid="tab-presets" onClick={() => setTab('presets')}>Presets</button>
        </nav>
        <div className="sidebar-scroll">{tab === 'nodes' ? <Palette /> : <Gallery />}</div>
      </aside>
      <main className="center">
        <Canvas />
        <RunPanel />
      </main>
      <aside className="sidebar right">
        <div className="sidebar-scroll inspector-pane"><Inspector /></div>
        <div className="sidebar-scroll output-pane"><OutputView /></div>
      </aside>
      {bigView?.kind === 'cascade' && <CascadeViewer nodeId={bigView.nodeId} />}
      {bigView?.kind === 'experiments' && <ExperimentsView />}
      <QuickAdd />
      {helpOpen && <HelpPanel list={list} />}
      <Toasts />
    </div>
  );
}
