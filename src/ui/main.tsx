import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { ReactFlowProvider } from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import './styles.css';
import { App } from './App.js';
import { defaultPreset } from './presets/bundled.js';
import { layoutForScreen } from './editor/layout.js';
import { readAutosave, writeAutosave } from './presets/storage.js';
import { SAMPLES, datasetPoolStats, lastDatasetRun, setBackend, simulateGpuLoss, startAutoRun } from './run/runner.js';
import { restoreInputImage } from './run/input.js';
import { createLabStore, initHistory, lab, loadDocument, requestFit, toast } from './state/store.js';
import { pipelineFromHash } from './presets/share.js';

// Restore the last session (graph, sample, backend) or land on the default preset and sample.
const saved = readAutosave();
createLabStore({
  history: initHistory(saved?.doc ?? layoutForScreen(defaultPreset())),
  selectedNodes: [],
  selectedEdges: [],
  statuses: {},
  outputs: {},
  reports: {},
  running: false,
  pending: false,
  runs: 0,
  backendSetting: saved?.backend ?? 'auto',
  input: { kind: 'sample', name: saved?.sample && SAMPLES.includes(saved.sample) ? saved.sample : SAMPLES[0] },
  autoRun: saved?.autoRun ?? true,
  toasts: [],
  helpOpen: false,
});

function autosave(): void {
  const s = lab.get();
  writeAutosave({ doc: s.history.present, sample: s.input.kind === 'sample' ? s.input.name : undefined, inputFile: s.input.kind === 'file', backend: s.backendSetting, autoRun: s.autoRun });
}
let timer: ReturnType<typeof setTimeout> | undefined;
lab.subscribe(() => {
  clearTimeout(timer);
  timer = setTimeout(autosave, 300);
});
addEventListener('pagehide', autosave);

// the image the user picked last time comes back from IndexedDB (a reload loses nothing)
if (saved?.inputFile) void restoreInputImage();
startAutoRun();
// A shared link (#p=...) opens its pipeline over whatever was here (one undo step), then leaves the
// URL clean; also when it is pasted into the address bar of an open lab (a fragment change, no reload).
const openLink = () => void pipelineFromHash(location.hash).then((r) => {
  if (!r) return;
  history.replaceState(null, '', location.pathname + location.search);
  if (!r.ok) return toast(`Link not opened: ${r.error}`, 'error');
  loadDocument(r.pipeline);
  requestFit();
  toast(`Opened “${r.pipeline.name}” from the link`);
});
openLink();
addEventListener('hashchange', openLink);
// The landing graph was fitted before its previews grew the nodes: fit it again after the first run.
const stopFirstFit = lab.subscribe(() => {
  if (!lab.get().runs) return;
  stopFirstFit();
  requestFit();
});
void setBackend(lab.get().backendSetting);
// For checking the GPU-loss fallback by hand (and in the browser tests): `faceflowDebug.loseGpu()`;
// the last dataset run's scores and its pool's workers, for the browser tests and the lab-dataset bench.
(window as unknown as { faceflowDebug: object }).faceflowDebug = { loseGpu: simulateGpuLoss, lastDatasetRun, datasetPool: datasetPoolStats };

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <ReactFlowProvider>
      <App />
    </ReactFlowProvider>
  </StrictMode>,
);
