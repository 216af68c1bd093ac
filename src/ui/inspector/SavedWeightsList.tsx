import { useEffect, useState } from 'react';
import { deleteStoredWeights, listStoredWeights, onStoredWeightsChange, weightsUrl, type StoredWeights } from '../../io/weights-store.js';
import { doc, useLab } from '../state/store.js';
import { savedValAccuracy, deleteRefusal, weightsFitting } from './saved-weights.js';

const savedAt = (t: number) => new Date(t).toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'short' });

/** The weights saved in this browser that fit the node, to point it at (`onUse`) or delete. */
export function SavedWeightsList({ nodeId, weights, onUse, onDeleted }: {
  nodeId: string;
  weights: string;
  onUse: (url: string) => void;
  onDeleted: (name: string) => void;
}) {
  const nodeType = useLab((st) => st.history.present.nodes.find((n) => n.id === nodeId)?.type ?? '');
  const [list, setList] = useState<StoredWeights[]>();
  const [problem, setProblem] = useState<string>();
  useEffect(() => {
    let live = true;
    const load = () => void listStoredWeights().then((l) => live && setList(l), (e: Error) => live && setProblem(e.message));
    load();
    const off = onStoredWeightsChange(load);
    return () => {
      live = false;
      off();
    };
  }, []);
  const remove = async (name: string) => {
    const refusal = deleteRefusal(doc(), name);
    setProblem(refusal);
    if (refusal) return;
    try {
      await deleteStoredWeights(name);
      onDeleted(name);
    } catch (e) {
      setProblem((e as Error).message);
    }
  };
  const fitting = list && weightsFitting(list, nodeType);
  return (
    <div data-testid="saved-weights" data-loaded={!!list}>
      <h3 className="section-title">Saved weights <span className="muted">in this browser</span></h3>
      {fitting?.length ? (
        <ul className="preset-list">
          {fitting.map((w) => {
            const url = weightsUrl(w.name);
            const acc = savedValAccuracy(w);
            const inUse = weights === url;
            return (
              <li key={w.name} className="preset-row" data-testid="saved-weights-row" data-name={w.name} data-in-use={inUse}>
                <span className="preset-name" title={url}>{w.name}</span>
                <span className="muted small">{savedAt(w.savedAt)}{acc !== undefined && ` · val acc ${(acc * 100).toFixed(1)}%`}</span>
                <span className="row-actions">
                  <button className="btn small" data-testid="saved-weights-use" disabled={inUse} onClick={() => { setProblem(undefined); onUse(url); }}>
                    {inUse ? 'In use' : 'Use'}
                  </button>
                  <button className="icon danger" title="Delete" data-testid="saved-weights-delete" onClick={() => void remove(w.name)}>✕</button>
                </span>
              </li>
            );
          })}
        </ul>
      ) : (
        list && <p className="muted small">None yet: weights trained here are saved in this browser.</p>
      )}
      {problem && <div className="field-error" data-testid="saved-weights-error">{problem}</div>}
    </div>
  );
}
