import { useEffect, useRef, useState, useSyncExternalStore } from 'react';
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { registry } from '../../../nodes/index.js';
import { saveStoredWeights, weightsUrl, type StoredWeights } from '../../io/weights-store.js';
import type { TrainEvent, TrainOutcome, TrainSettings } from '../../runtime/browser-worker.js';
import type { EpochLog } from '../../train/loop.js';
import { identityCounts, trainingImages, trainingSetProblem, type TrainingImage } from '../../train/picked-dataset.js';
import { trainedModuleOf, trainTargetForNode } from '../../train/prepare.js';
import { trainingVerdict } from '../../train/schedule.js';
import { OCCLUDE_SETTINGS } from '../../train/session.js';
import { setParam } from '../../graph/edit.js';
import { datasetName, datasetPath } from '../experiments/dataset.js';
import { download } from '../views/export.js';
import { cancelTraining, trainInWorker } from '../run/runner.js';
import { doc, edit, toast, useLab } from '../state/store.js';
import { SavedWeightsList } from './SavedWeightsList.js';

interface Session {
  nodeId: string;
  running: boolean;
  cache?: { pass: string; done: number; total: number };
  fraction?: number;
  logs: EpochLog[];
  summary?: Record<string, unknown>;
  outcome?: TrainOutcome;
  saved?: StoredWeights;
  error?: string;
}

interface Picked { name: string; images: TrainingImage<File>[] }

/** The training session and the picked folder live outside the component, so they survive the inspector switching nodes. */
let session: Session | undefined;
let picked: Picked | undefined;
const listeners = new Set<() => void>();
/** Merge into the session in flight, or (`fresh`) start a new one, dropping the last one's logs, error and weights. */
function update(next: Partial<Session>, fresh?: Session): void {
  session = fresh ?? (session ? { ...session, ...next } : undefined);
  listeners.forEach((l) => l());
}
function setPicked(p: Picked | undefined): void {
  picked = p;
  listeners.forEach((l) => l());
}
const subscribe = (l: () => void) => {
  listeners.add(l);
  return () => void listeners.delete(l);
};

/** Point the node at saved weights: an undoable edit of its `weights` param. */
const setWeights = (nodeId: string, url: string) => edit((d) => setParam(d, nodeId, 'weights', url));

/** The deleted weights are no longer on offer as the last run's result. */
function forgetDeleted(name: string): void {
  if (session?.saved?.name === name) update({ saved: undefined });
}

/** The saved pair as files: `<name>.json` (pointing at `<name>.weights.bin`) and the .bin. */
export function downloadWeights(w: StoredWeights): void {
  download(new Blob([`${JSON.stringify(w.manifest, null, 2)}\n`], { type: 'application/json' }), `${w.name}.json`);
  setTimeout(() => download(new Blob([w.bin as BlobPart], { type: 'application/octet-stream' }), `${w.name}.weights.bin`), 300);
}

async function startTraining(nodeId: string, p: Picked, settings: TrainSettings): Promise<void> {
  const pipeline = doc();
  let problem: string | undefined;
  try {
    trainTargetForNode(pipeline, nodeId, registry);
    problem = trainingSetProblem(p.images, settings.valFraction, settings.seed);
  } catch (e) {
    problem = (e as Error).message;
  }
  if (problem) {
    update({}, { nodeId, running: false, logs: [], error: problem });
    return;
  }
  update({}, { nodeId, running: true, logs: [] });
  const onEvent = (e: TrainEvent) => {
    if (e.kind === 'cache') update({ cache: { pass: e.pass, done: e.done, total: e.total } });
    else if (e.kind === 'start') update({ summary: e.summary, fraction: 0 });
    else if (e.kind === 'progress') update({ fraction: e.fraction });
    else update({ logs: [...(session?.logs ?? []), e.log] });
  };
  try {
    const images = p.images.map((i) => ({ identity: i.identity, name: i.name, file: i.file }));
    const outcome = await trainInWorker(pipeline, nodeId, images, settings, onEvent);
    if (outcome.status !== 'done' || !outcome.weights) {
      update({ running: false, outcome, error: outcome.status === 'cancelled' ? 'training cancelled: nothing saved' : outcome.error });
      return;
    }
    const saved = await saveStoredWeights(settings.name, outcome.weights.manifest, outcome.weights.bin);
    update({ running: false, outcome, saved });
    const verdict = verdictOf(outcome);
    toast(verdict.improved
      ? `Trained “${nodeId}” in ${(outcome.ms / 1000).toFixed(1)} s on ${outcome.backend}: saved as ${saved.name}`
      : `Trained “${nodeId}”: ${verdict.message} (saved as ${saved.name} anyway)`);
  } catch (e) {
    update({ running: false, error: (e as Error).message });
  }
}

/** Whether the run beat the untrained module on validation (best epoch -1 means it did not), in words. */
const verdictOf = (o: TrainOutcome) => trainingVerdict(o.bestEpoch, o.logs.length, o.initial?.valLoss !== undefined || o.logs.some((l) => l.valLoss !== undefined));

const fmt = (v: number | undefined, d = 4) => (v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(d));

function LossChart({ logs }: { logs: EpochLog[] }) {
  const data = logs.map((l) => ({ epoch: l.epoch + 1, train: l.trainLoss, val: l.valLoss }));
  const axis = { tick: { fill: '#9aa7b8', fontSize: 11 }, stroke: '#334155' };
  return (
    <div data-testid="train-chart">
      <ResponsiveContainer width="100%" height={160}>
        <LineChart data={data} margin={{ top: 6, right: 8, bottom: 4, left: -16 }}>
          <CartesianGrid stroke="#263041" />
          <XAxis dataKey="epoch" type="number" domain={[1, 'dataMax']} allowDecimals={false} {...axis} />
          <YAxis {...axis} />
          <Tooltip contentStyle={{ background: '#18202b', border: '1px solid #334155', fontSize: 12 }} formatter={(v) => Number(v).toFixed(4)} />
          <Legend verticalAlign="top" height={20} wrapperStyle={{ fontSize: 11 }} />
          <Line dataKey="train" name="train loss" stroke="#4f9cf7" strokeWidth={2} dot isAnimationActive={false} />
          <Line dataKey="val" name="val loss" stroke="#f78c4f" strokeWidth={2} dot isAnimationActive={false} />
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
}

/** Train the selected gate / fusion node on a picked folder of identities, in the worker. */
export function TrainPanel({ nodeId, weights }: { nodeId: string; weights: string }) {
  const s = useSyncExternalStore(subscribe, () => session);
  const p = useSyncExternalStore(subscribe, () => picked);
  const backend = useLab((st) => st.backend?.name);
  const pipelineName = useLab((st) => st.history.present.name);
  const [epochs, setEpochs] = useState(10);
  const [seed, setSeed] = useState(1);
  const [occlude, setOcclude] = useState('any-mask');
  const [valFraction, setValFraction] = useState(0.25);
  const [consistency, setConsistency] = useState(0);
  const [name, setName] = useState('');
  const dirInput = useRef<HTMLInputElement>(null);
  useEffect(() => {
    dirInput.current?.setAttribute('webkitdirectory', '');
  }, []);
  const mine = s?.nodeId === nodeId ? s : undefined;
  const busy = !!s?.running;
  const fromList = (list: FileList | null) => {
    const files = Array.from(list ?? []);
    if (!files.length) return;
    const images = trainingImages(files.map((f) => ({ path: datasetPath(f.webkitRelativePath, f.name), file: f })));
    setPicked({ name: datasetName(files[0].webkitRelativePath || undefined, `${files.length} files`), images });
  };
  const ids = p ? identityCounts(p.images) : undefined;
  const defaultName = `${pipelineName}.${nodeId}`;
  const savedUrl = mine?.saved ? weightsUrl(mine.saved.name) : undefined;
  return (
    <section className="train-panel" data-testid="train-panel">
      <h3 className="section-title">Train</h3>
      <p className="muted small">Triplet loss on a folder of identities (&lt;dir&gt;/&lt;identity&gt;/&lt;image&gt;), on the frozen nodes above, in the worker.</p>
      <div className="dataset-row">
        <button className="btn small" onClick={() => dirInput.current?.click()} disabled={busy}>Pick training folder…</button>
        <input ref={dirInput} type="file" multiple hidden data-testid="train-dir" onChange={(e) => { fromList(e.target.files); e.target.value = ''; }} />
      </div>
      <div className="muted small" data-testid="train-summary" data-images={p?.images.length ?? 0}>
        {p ? `${p.name}: ${p.images.length} images, ${ids!.size} identities (${[...ids!.values()].filter((c) => c >= 2).length} with 2+ images)` : 'No folder picked.'}
      </div>
      <label className="field-label" htmlFor="train-epochs">Epochs</label>
      <input id="train-epochs" type="number" min={1} max={1000} value={epochs} data-testid="train-epochs" onChange={(e) => setEpochs(Math.max(1, Math.round(Number(e.target.value) || 1)))} />
      <label className="field-label" htmlFor="train-seed">Seed</label>
      <input id="train-seed" type="number" value={seed} data-testid="train-seed" onChange={(e) => setSeed(Math.round(Number(e.target.value) || 0))} />
      <label className="field-label" htmlFor="train-occlude">Synthetic occluder (second cache pass)</label>
      <select id="train-occlude" value={occlude} data-testid="train-occlude" onChange={(e) => setOcclude(e.target.value)}>
        {OCCLUDE_SETTINGS.map((k) => <option key={k} value={k}>{k}</option>)}
      </select>
      <label className="field-label" htmlFor="train-val">Validation share of identities</label>
      <input id="train-val" type="number" min={0.05} max={0.9} step={0.05} value={valFraction} data-testid="train-val" onChange={(e) => setValFraction(Number(e.target.value))} />
      <label className="field-label" htmlFor="train-consistency">Clean-consistency weight (0: triplet loss alone, as the paper)</label>
      <input id="train-consistency" type="number" min={0} max={100} step={0.5} value={consistency} data-testid="train-consistency" onChange={(e) => setConsistency(Math.max(0, Number(e.target.value) || 0))} />
      <label className="field-label" htmlFor="train-name">Save as</label>
      <input id="train-name" value={name} placeholder={defaultName} data-testid="train-name" onChange={(e) => setName(e.target.value)} />
      <div className="dataset-row" style={{ marginTop: 8 }}>
        {busy ? (
          <button className="btn danger small" data-testid="train-cancel" onClick={() => void cancelTraining()}>■ Cancel</button>
        ) : (
          <button className="btn primary small" data-testid="train-start" disabled={!p}
            onClick={() => p && void startTraining(nodeId, p, { epochs, seed, occlude, valFraction, consistency, name: name.trim() || defaultName })}>▶ Train</button>
        )}
        <span className="muted small" data-testid="train-backend">backend: {mine?.outcome?.backend ?? backend ?? '…'}</span>
      </div>
      {busy && s?.nodeId !== nodeId && <div className="muted small">Training “{s?.nodeId}”…</div>}
      {mine?.error && <div className="field-error" data-testid="train-error">{mine.error}</div>}
      {mine?.running && (
        <div className="muted small" data-testid="train-progress">
          {mine.fraction !== undefined ? `training ${(mine.fraction * 100).toFixed(0)}%` : mine.cache ? `caching (${mine.cache.pass}) ${mine.cache.done} / ${mine.cache.total}` : 'starting…'}
        </div>
      )}
      {mine && mine.logs.length > 0 && (
        <>
          <LossChart logs={mine.logs} />
          <table className="small" data-testid="train-log">
            <thead><tr><th>epoch</th><th>loss</th><th>val loss</th><th>val acc</th><th>lr</th></tr></thead>
            <tbody>
              {mine.logs.map((l) => (
                <tr key={l.epoch} data-testid="train-epoch" data-loss={l.trainLoss} data-val-loss={l.valLoss ?? ''}>
                  <td>{l.epoch + 1}{l.best ? '*' : ''}</td><td>{fmt(l.trainLoss)}</td><td>{fmt(l.valLoss)}</td>
                  <td>{l.valAccuracy === undefined ? '–' : `${(l.valAccuracy * 100).toFixed(1)}%`}</td><td>{l.lr.toExponential(0)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      {mine?.saved && mine.outcome && (() => {
        const verdict = verdictOf(mine.outcome);
        return (
        <div data-testid="train-done" data-url={savedUrl} data-leaked={mine.outcome.tensors?.leaked} data-improved={String(verdict.improved)}>
          <p className="muted small">
            Saved as <code>{mine.saved.name}</code> · {verdict.improved ? verdict.message : 'best: the untrained start'} ·
            {' '}{(mine.outcome.ms / 1000).toFixed(1)} s on {mine.outcome.backend}
          </p>
          {!verdict.improved && (
            <p className="field-error" data-testid="train-verdict">
              No improvement over the untrained module: its validation loss was lower than after any epoch, so these weights are the untrained start, not a better module. Keep the node&apos;s current weights, or train longer, on more data or with other settings.
            </p>
          )}
          <div className="dataset-row">
            <button className={`btn small${verdict.improved ? ' primary' : ''}`} data-testid="train-use" data-improved={String(verdict.improved)} disabled={weights === savedUrl}
              title={verdict.improved ? undefined : verdict.message}
              onClick={() => setWeights(nodeId, savedUrl!)}>
              {weights === savedUrl ? 'In use' : verdict.improved ? 'Use these weights' : 'Use anyway (no improvement)'}
            </button>
            <button className="btn small" data-testid="train-download" onClick={() => downloadWeights(mine.saved!)}>Download .json + .bin</button>
          </div>
        </div>
        );
      })()}
      <SavedWeightsList key={nodeId} nodeId={nodeId} weights={weights} onUse={(url) => setWeights(nodeId, url)} onDeleted={forgetDeleted} />
    </section>
  );
}

/** Whether a node type gets the panel: the nodes `faceflow train --module gate|concat|attention|transformer` trains. */
export const isTrainable = (type: string) => trainedModuleOf(type, registry) !== undefined;
