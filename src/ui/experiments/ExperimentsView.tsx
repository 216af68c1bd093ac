import { startTransition, useEffect, useRef, useState } from 'react';
import { registry } from '../../../nodes/index.js';
import type { VerificationMetrics } from '../../eval/metrics.js';
import { hashString } from '../../util/hash.js';
import { runSignature } from '../../graph/edit.js';
import { cancelDatasetRun, datasetWorkerCount, runDatasetInWorker, warmDatasetPool, type DatasetWorkers } from '../run/runner.js';
import { doc, lab, toast, useLab } from '../state/store.js';
import { ChartLegend, DetChart, HistogramChart, RocChart, RUN_COLORS } from './charts.js';
import { datasetItems, datasetName, datasetPath, datasetPipeline, IMAGE_FILE, type DatasetFile } from './dataset.js';
import { dbDelete, dbGetAll, dbPut, EXPERIMENTS } from '../../io/lab-db.js';
import { toCsv, toJson, type ExperimentRecord } from './records.js';
import { maskBreakdown, parseRocCsv, recordFromEvalJson, runLabels } from './honest.js';
import { parseMaskLabels, type MaskLabel } from '../../eval/mask-labels.js';
import { MaskBreakdown } from './MaskBreakdown.js';
import { pct, RunsTable } from './RunsTable.js';
import { useReturnFocus } from '../a11y/focus-return.js';
import { ReliabilitySection } from './reliability.js';
import { runCalibration } from './run-calibration.js';
import type { ScoresValue } from '../../eval/verify.js';

interface Picked {
  name: string;
  files: DatasetFile[];
  /** The folder's labels.txt (MFR2: which faces wear a mask), when it has one. */
  labels?: MaskLabel[];
}

/** The picked dataset and pairs file, kept while the view is closed (reopening it finds them again). */
let lastPicked: Picked | undefined;
let lastPairs: File | undefined;
/** Workers for dataset runs, kept while the view is closed. */
let lastWorkers: DatasetWorkers = 'auto';

const LABELS_FILE = /(^|\/)labels\.txt$/i;

/** A picked dataset: its images, and the mask labels of a labels.txt among its files (the shallowest). */
async function pickedFrom(name: string, files: DatasetFile[]): Promise<Picked> {
  const labelsFile = files.filter((f) => LABELS_FILE.test(f.path)).sort((a, b) => a.path.split('/').length - b.path.split('/').length)[0];
  let labels: MaskLabel[] | undefined;
  if (labelsFile) {
    try {
      labels = parseMaskLabels(await labelsFile.file.text(), labelsFile.path);
    } catch (e) {
      toast(`${(e as Error).message}: results are not broken down by mask`, 'error');
    }
  }
  return { name, files: files.filter((f) => IMAGE_FILE.test(f.path)), labels };
}

function download(text: string, name: string, type: string): void {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([text], { type }));
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

/** Recursively list a directory handle (File System Access API) as dataset files. */
async function walk(dir: FileSystemDirectoryHandle, prefix = ''): Promise<DatasetFile[]> {
  const out: DatasetFile[] = [];
  for await (const [name, h] of (dir as unknown as { entries(): AsyncIterable<[string, FileSystemHandle]> }).entries()) {
    if (h.kind === 'directory') out.push(...(await walk(h as FileSystemDirectoryHandle, `${prefix}${name}/`)));
    else if (IMAGE_FILE.test(name) || LABELS_FILE.test(name)) out.push({ path: `${prefix}${name}`, file: await (h as FileSystemFileHandle).getFile() });
  }
  return out;
}


let recordsCache: ExperimentRecord[] | undefined;
/** The ticked runs, kept while the panel is closed. */
let ticked: number[] = [];
const listeners = new Set<(r: ExperimentRecord[]) => void>();
async function reloadRecords(): Promise<ExperimentRecord[]> {
  const records = (await dbGetAll<ExperimentRecord>(EXPERIMENTS)).sort((a, b) => (a.id ?? 0) - (b.id ?? 0));
  recordsCache = records;
  // A transition: the table and charts render in slices, so frames keep coming.
  startTransition(() => {
    for (const l of listeners) l(records);
  });
  return recordsCache;
}

function useRecords(): ExperimentRecord[] {
  const [records, setRecords] = useState<ExperimentRecord[]>(recordsCache ?? []);
  useEffect(() => {
    listeners.add(setRecords);
    reloadRecords().catch((e) => toast(`Experiments: ${(e as Error).message}`, 'error'));
    return () => void listeners.delete(setRecords);
  }, []);
  return records;
}

/** Run the working pipeline over a dataset in the worker and record the result. */
async function runDataset(picked: Picked, pairs: File | undefined, workers: DatasetWorkers): Promise<ExperimentRecord | undefined> {
  const urls: string[] = [];
  const urlFor = (f: DatasetFile) => {
    const u = URL.createObjectURL(f.file);
    urls.push(u);
    return u;
  };
  const items = datasetItems(picked.files, urlFor);
  const pairsUrl = pairs ? URL.createObjectURL(pairs) : undefined;
  if (pairsUrl) urls.push(pairsUrl);
  const source = doc();
  let built;
  try {
    built = datasetPipeline(source, registry, pairsUrl);
  } catch (e) {
    urls.forEach((u) => URL.revokeObjectURL(u));
    toast((e as Error).message, 'error');
    return undefined;
  }
  lab.set({ datasetRun: { done: 0, total: items.length, failed: 0, dataset: picked.name } });
  try {
    const outcome = await runDatasetInWorker(built.pipeline, items, (done, total, failed) => lab.set({ datasetRun: { done, total, failed, dataset: picked.name } }), workers);
    if (outcome.status === 'cancelled') {
      toast('Dataset run cancelled: nothing recorded');
      return undefined;
    }
    if (outcome.status !== 'done') {
      toast(`Dataset run failed: ${outcome.error?.message}`, 'error');
      return undefined;
    }
    const metrics = outcome.final[built.verifyId]?.metrics as VerificationMetrics | null | undefined;
    if (!metrics) {
      toast('No labelled pairs: put each identity in its own folder, or add a pairs.txt', 'error');
      return undefined;
    }
    const scores = outcome.final[built.verifyId]?.scores as ScoresValue | undefined;
    const record: ExperimentRecord = {
      source: 'lab',
      preset: source.name,
      presetHash: hashString(runSignature(source)),
      pipeline: source,
      dataset: { name: picked.name, items: items.length, failed: outcome.items.filter((r) => r.error).length, pairs: pairs?.name },
      backend: outcome.backend.name,
      time: new Date().toISOString(),
      ms: outcome.seconds * 1000,
      metrics,
      calibration: runCalibration(scores),
      maskBreakdown: picked.labels && scores ? maskBreakdown(scores.pairs, picked.labels, metrics.threshold) : undefined,
    };
    record.id = (await dbPut(EXPERIMENTS, record)) as number;
    await reloadRecords();
    toast(`Recorded run #${record.id}: accuracy ${pct(metrics.accuracy.mean)}, AUC ${metrics.auc.toFixed(4)}`);
    return record;
  } finally {
    urls.forEach((u) => URL.revokeObjectURL(u));
    lab.set({ datasetRun: undefined });
  }
}

/**
 * Import what `faceflow eval --json` wrote (with its --roc CSV when picked too: the ROC, DET and
 * balanced accuracy need it), so CLI runs sit beside the lab's. A bad file is refused with its reason.
 */
async function importEvalFiles(files: File[]): Promise<number[]> {
  const jsons = files.filter((f) => /\.json$/i.test(f.name));
  const csvs = files.filter((f) => /\.csv$/i.test(f.name));
  if (!jsons.length) toast('Import: pick the .json that faceflow eval --json wrote (and its --roc .csv)', 'error');
  const ids: number[] = [];
  for (const f of jsons) {
    try {
      const stem = f.name.replace(/\.json$/i, '');
      const csv = csvs.find((c) => c.name.startsWith(stem)) ?? (jsons.length === 1 ? csvs[0] : undefined);
      const record = recordFromEvalJson(await f.text(), f.name, csv ? parseRocCsv(await csv.text(), csv.name) : []);
      const id = (await dbPut(EXPERIMENTS, record)) as number;
      ids.push(id);
      toast(`Imported ${f.name} as run #${id}${csv ? ` with its ROC (${csv.name})` : ' (no ROC: add the --roc CSV for curves)'}`);
    } catch (e) {
      toast(`Import failed: ${(e as Error).message}`, 'error');
    }
  }
  await reloadRecords();
  return ids;
}

function DatasetRunner({ onRecorded }: { onRecorded: (r: ExperimentRecord) => void }) {
  const [picked, setPickedState] = useState(lastPicked);
  const [pairs, setPairsState] = useState(lastPairs);
  const [workers, setWorkersState] = useState(lastWorkers);
  // a picked dataset is about to be run: start the pool's workers meanwhile
  const setPicked = (p: Picked) => {
    setPickedState((lastPicked = p));
    void warmDatasetPool(workers);
  };
  const setPairs = (f: File | undefined) => setPairsState((lastPairs = f));
  const setWorkers = (w: DatasetWorkers) => setWorkersState((lastWorkers = w));
  const run = useLab((s) => s.datasetRun);
  const presetName = useLab((s) => s.history.present.name);
  const dirInput = useRef<HTMLInputElement>(null);
  const filesInput = useRef<HTMLInputElement>(null);
  const pairsInput = useRef<HTMLInputElement>(null);
  useEffect(() => {
    dirInput.current?.setAttribute('webkitdirectory', '');
  }, []);
  const fromList = (list: FileList | null) => {
    const files = Array.from(list ?? []);
    if (!files.length) return;
    const rel = files[0].webkitRelativePath;
    void pickedFrom(datasetName(rel || undefined, `${files.length} files`), files.map((f) => ({ path: datasetPath(f.webkitRelativePath, f.name), file: f }))).then(setPicked);
  };
  const pickFolder = async () => {
    const picker = (window as unknown as { showDirectoryPicker?: () => Promise<FileSystemDirectoryHandle> }).showDirectoryPicker;
    if (!picker) return dirInput.current?.click();
    try {
      const dir = await picker();
      setPicked(await pickedFrom(dir.name, await walk(dir)));
    } catch (e) {
      if ((e as Error).name !== 'AbortError') toast(`Folder: ${(e as Error).message}`, 'error');
    }
  };
  const images = picked?.files.filter((f) => IMAGE_FILE.test(f.path)) ?? [];
  const identities = new Set(images.map((f) => (f.path.includes('/') ? f.path.slice(0, f.path.lastIndexOf('/')) : ''))).size;
  return (
    <section className="dataset-runner">
      <h3 className="section-title">New dataset run</h3>
      <div className="dataset-row">
        <button className="btn" onClick={() => void pickFolder()} disabled={!!run}>Pick folder…</button>
        <button className="btn" onClick={() => filesInput.current?.click()} disabled={!!run}>Choose images…</button>
        <button className="btn" onClick={() => pairsInput.current?.click()} disabled={!!run}>{pairs ? `pairs: ${pairs.name}` : 'pairs.txt (optional)…'}</button>
        {pairs && <button className="link" onClick={() => setPairs(undefined)}>clear pairs</button>}
        <input ref={dirInput} type="file" multiple hidden data-testid="dataset-dir" onChange={(e) => { fromList(e.target.files); e.target.value = ''; }} />
        <input ref={filesInput} type="file" multiple accept="image/jpeg,image/png" hidden data-testid="dataset-files" onChange={(e) => { fromList(e.target.files); e.target.value = ''; }} />
        <input ref={pairsInput} type="file" accept=".txt,text/plain" hidden data-testid="dataset-pairs" onChange={(e) => { setPairs(e.target.files?.[0]); e.target.value = ''; }} />
      </div>
      <div className="dataset-summary muted small" data-testid="dataset-summary" data-images={images.length}>
        {picked ? `${picked.name}: ${images.length} images${identities > 1 ? ` in ${identities} identity folders` : ''}${picked.labels ? `; labels.txt: ${picked.labels.filter((l) => l.masked).length} of ${picked.labels.length} faces masked (results broken down by mask)` : ''}` : 'Pick a folder with one sub-folder per identity (pairs are made from the folders), or images plus an LFW-style pairs.txt.'}
      </div>
      <div className="dataset-row">
        {run ? (
          <>
            <div className="dataset-progress" data-testid="dataset-progress" data-done={run.done} data-total={run.total}>
              <div className="dataset-progress-bar" style={{ width: `${(run.done / Math.max(1, run.total)) * 100}%` }} />
              <span>{run.done} / {run.total} images{run.failed ? ` · ${run.failed} failed` : ''}</span>
            </div>
            <button className="btn danger small" data-testid="dataset-cancel" onClick={() => void cancelDatasetRun()}>■ Cancel</button>
          </>
        ) : (
          <button className="btn primary" data-testid="dataset-run" disabled={!images.length}
            onClick={() => picked && void runDataset(picked, pairs, workers).then((r) => r && onRecorded(r))}>
            ▶ Run “{presetName}” on {images.length || 'the'} images
          </button>
        )}
        <label className="muted small" title="Web Workers that share out the images, each with its own copy of the models (on wasm; a GPU backend runs in one)">
          Workers{' '}
          <select value={workers} disabled={!!run} data-testid="dataset-workers" onChange={(e) => setWorkers(e.target.value === 'auto' ? 'auto' : Number(e.target.value))}>
            <option value="auto">auto ({datasetWorkerCount('auto')})</option>
            {[1, 2, 3, 4].map((n) => <option key={n} value={n}>{n}</option>)}
          </select>
        </label>
      </div>
    </section>
  );
}

/**
 * Mounts its children a few frames after it mounts (`order` frames apart from its siblings):
 * a recharts chart takes tens of milliseconds to mount, so several at once would stall a frame.
 */
function Staggered({ order, height, children }: { order: number; height: number; children: React.ReactNode }) {
  const [on, setOn] = useState(false);
  useEffect(() => {
    let id = 0;
    let left = 2 + order * 2;
    const tick = () => {
      if (--left <= 0) setOn(true);
      else id = requestAnimationFrame(tick);
    };
    id = requestAnimationFrame(tick);
    return () => cancelAnimationFrame(id);
  }, [order]);
  return on ? <>{children}</> : <div className="chart-placeholder" style={{ height }} />;
}

/** Experiments: dataset runs recorded in IndexedDB, compared side by side, ROC/DET/histograms overlaid, export. */
export function ExperimentsView() {
  const records = useRecords();
  useReturnFocus();
  const [selected, setSelected] = useState<number[]>(() => ticked);
  useEffect(() => {
    ticked = selected;
  }, [selected]);
  const [logFar, setLogFar] = useState(-2);
  const far = 10 ** logFar;
  const close = () => lab.set({ bigView: undefined });
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && close();
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, []);
  const shown = records.filter((r) => selected.includes(r.id!));
  const toggle = (id: number) => setSelected((s) => (s.includes(id) ? s.filter((x) => x !== id) : [...s, id]));
  const exported = shown.length ? shown : records;
  const names = runLabels(records);
  const evalInput = useRef<HTMLInputElement>(null);
  // Deleting a run can be undone from the message that says so (the record is put back, same id).
  const remove = async (id: number) => {
    const record = records.find((r) => r.id === id);
    await dbDelete(EXPERIMENTS, id);
    setSelected((s) => s.filter((x) => x !== id));
    await reloadRecords();
    if (record) toast(`Deleted run #${id}`, 'info', 10_000, { label: 'Undo', run: () => void dbPut(EXPERIMENTS, record).then(reloadRecords) });
  };
  return (
    <div className="big-view" role="dialog" aria-label="Experiments" data-testid="experiments">
      <div className="big-view-head">
        <div>
          <h2>Experiments</h2>
          <div className="muted small">Every dataset run of a pipeline is recorded in this browser (IndexedDB): compare them side by side.</div>
        </div>
        <button className="btn small" data-testid="import-eval" onClick={() => evalInput.current?.click()} title="Runs of faceflow eval: its --json file, with the --roc CSV for curves">Import CLI eval…</button>
        <input ref={evalInput} type="file" multiple accept=".json,.csv,application/json,text/csv" hidden data-testid="import-eval-file" aria-label="faceflow eval JSON and ROC CSV files"
          onChange={(e) => { const files = Array.from(e.target.files ?? []); e.target.value = ''; void importEvalFiles(files).then((ids) => startTransition(() => setSelected((s) => [...s, ...ids]))); }} />
        <button className="btn small" data-testid="export-json" disabled={!records.length} onClick={() => download(toJson(exported), 'faceflow-experiments.json', 'application/json')}>Export JSON</button>
        <button className="btn small" data-testid="export-csv" disabled={!records.length} onClick={() => download(toCsv(exported), 'faceflow-experiments.csv', 'text/csv')}>Export CSV</button>
        <button className="icon-btn" onClick={close} aria-label="Close experiments" data-testid="close-big-view" autoFocus>✕</button>
      </div>
      <div className="big-view-body" tabIndex={0} role="region" aria-label="Experiment runs and charts">
        <DatasetRunner onRecorded={(r) => startTransition(() => setSelected((s) => [...s, r.id!]))} />
        <section>
          <h3 className="section-title">Runs <span className="muted">· tick runs to overlay their curves{records.length ? '; export takes the ticked runs (or all)' : ''}</span></h3>
          {!records.length ? (
            <div className="view-empty">No runs yet: pick a dataset above and run the current pipeline on it.</div>
          ) : (
            <RunsTable records={records} names={names} selected={selected} far={far} toggle={toggle} remove={(id) => void remove(id)} />
          )}
        </section>
        {records.length > 0 && (
          <section>
            <div className="far-picker">
              <label htmlFor="far-picker">Operating point: FAR</label>
              <input id="far-picker" type="range" min={-4} max={-0.5} step={0.25} value={logFar} data-testid="far-picker" onChange={(e) => setLogFar(Number(e.target.value))} />
              <span className="mono far-value" data-testid="far-value">{far < 0.01 ? far.toExponential(1) : far.toPrecision(2)}</span>
              <span className="muted small">the table’s “Thr/TAR @ FAR” columns and the dashed lines follow it</span>
            </div>
            {!shown.length ? (
              <div className="view-empty">Tick one or more runs to plot their ROC, DET and score histograms.</div>
            ) : (
              <>
                <div className="chart-grid">
                  <figure className="chart" data-testid="roc-chart"><figcaption>ROC</figcaption><Staggered order={0} height={280}><RocChart runs={shown} far={far} names={names} /></Staggered></figure>
                  <figure className="chart" data-testid="det-chart"><figcaption>DET</figcaption><Staggered order={1} height={280}><DetChart runs={shown} far={far} names={names} /></Staggered></figure>
                </div>
                <ChartLegend runs={shown} names={names} />
                <MaskBreakdown runs={shown} names={names} />
                <h3 className="section-title">Score histograms <span className="muted">· green matched, red mismatched pairs; dashed: threshold at the picked FAR</span></h3>
                <div className="histogram-grid">
                  {shown.map((r, i) => <Staggered key={r.id} order={2 + i} height={200}><HistogramChart run={r} far={far} color={RUN_COLORS[i % RUN_COLORS.length]} names={names} /></Staggered>)}
                </div>
                <Staggered order={2 + shown.length} height={240}><ReliabilitySection runs={shown} /></Staggered>
              </>
            )}
          </section>
        )}
      </div>
    </div>
  );
}
