import { useEffect, useState } from 'react';
import type { Gallery } from '../../eval/gallery.js';
import { deleteGallery, galleryNameFromUrl, galleryUrl, listGalleries, saveGallery, type StoredGallery } from '../../io/gallery-store.js';
import { setParam } from '../../graph/edit.js';
import { edit, toast, useLab } from '../state/store.js';
import type { NodeViewProps } from './types.js';

let cache: StoredGallery[] = [];
const listeners = new Set<(g: StoredGallery[]) => void>();
async function refresh(): Promise<void> {
  cache = await listGalleries();
  for (const l of listeners) l(cache);
}

/** The galleries saved in this browser, kept fresh across views. */
function useGalleries(): StoredGallery[] {
  const [list, setList] = useState(cache);
  useEffect(() => {
    listeners.add(setList);
    refresh().catch((e) => toast(`Galleries: ${(e as Error).message}`, 'error'));
    return () => void listeners.delete(setList);
  }, []);
  return list;
}

function IdentityList({ gallery }: { gallery: Gallery }) {
  return (
    <table className="gallery-table" data-testid="gallery-identities">
      <thead><tr><th>Identity</th><th className="num">Images</th></tr></thead>
      <tbody>
        {gallery.identities.slice(0, 50).map((i) => <tr key={i.name}><td>{i.name}</td><td className="num mono">{i.count}</td></tr>)}
      </tbody>
    </table>
  );
}

/** Enroll: the identities just enrolled, and saving them as a named gallery in this browser. */
export function EnrollView({ outputs, size, nodeId }: NodeViewProps) {
  const g = outputs.gallery as Gallery | undefined;
  const docName = useLab((s) => s.history.present.name);
  const [name, setName] = useState('');
  const saved = useGalleries();
  if (!g?.identities) return <div className="view-empty">no gallery</div>;
  if (size === 'thumb') return <div className="gallery-thumb">{g.identities.length} identit{g.identities.length === 1 ? 'y' : 'ies'} · {g.model}</div>;
  const save = async () => {
    try {
      const rec = await saveGallery(name || `${docName} · ${nodeId}`, g);
      await refresh();
      toast(`Saved gallery “${rec.name}” (${g.identities.length} identities) in this browser`);
    } catch (e) {
      toast(`Save gallery: ${(e as Error).message}`, 'error');
    }
  };
  return (
    <div className="gallery-view">
      <div className="muted small">{g.identities.length} identities · {g.model} · {g.dim}-D templates</div>
      <div className="gallery-save">
        <input type="text" aria-label="Gallery name" placeholder={`${docName} · ${nodeId}`} value={name} onChange={(e) => setName(e.target.value)} data-testid="gallery-name" />
        <button className="btn small primary" onClick={() => void save()} data-testid="save-gallery">Save in browser</button>
      </div>
      <IdentityList gallery={g} />
      {saved.length > 0 && <div className="muted small">Saved here: {saved.map((s) => s.name).join(', ')}</div>}
    </div>
  );
}

interface Matches {
  matches: { probe: string; label: string; identity: string | null; score: number }[];
  threshold: number | null;
}

/** Identify: which saved gallery it reads, and the matches with rank-1. */
export function IdentifyView({ nodeId, params, outputs, size }: NodeViewProps) {
  const saved = useGalleries();
  const m = outputs.matches as Matches | undefined;
  const metrics = outputs.metrics as { rank1?: number; probes?: number } | undefined;
  const connected = useLab((s) => s.history.present.edges.some((e) => e.to.node === nodeId && e.to.port === 'gallery'));
  const current = galleryNameFromUrl(String(params.galleryFile ?? ''));
  if (size === 'thumb') {
    return <div className="gallery-thumb">{m ? `${m.matches.length} probe${m.matches.length === 1 ? '' : 's'}` : ''}{metrics?.rank1 !== undefined ? ` · rank-1 ${(metrics.rank1 * 100).toFixed(1)}%` : ''}</div>;
  }
  const use = (name: string) => edit((d) => setParam(d, nodeId, 'galleryFile', name ? galleryUrl(name) : ''));
  return (
    <div className="gallery-view">
      {!connected && (
        <div className="gallery-source">
          <label htmlFor={`gal-${nodeId}`}>Gallery</label>
          <select id={`gal-${nodeId}`} value={current ?? ''} onChange={(e) => use(e.target.value)} data-testid="gallery-select">
            <option value="">{saved.length ? '— pick a saved gallery —' : 'no gallery saved in this browser'}</option>
            {saved.map((g) => <option key={g.name} value={g.name}>{g.name} ({g.gallery.identities.length})</option>)}
          </select>
          {current && (
            <button className="link danger-link" data-testid="delete-gallery" onClick={() => void deleteGallery(current).then(refresh).then(() => use(''))}>delete</button>
          )}
        </div>
      )}
      {m?.matches && (
        <>
          {metrics?.rank1 !== undefined && <div className="muted small">rank-1 {(metrics.rank1 * 100).toFixed(1)}% over {metrics.probes} probes{m.threshold !== null ? ` · open set at ${m.threshold}` : ''}</div>}
          <table className="gallery-table" data-testid="matches">
            <thead><tr><th>Probe</th><th>Match</th><th className="num">Score</th></tr></thead>
            <tbody>
              {m.matches.slice(0, 50).map((x) => (
                <tr key={x.probe} data-testid="match-row" data-identity={x.identity ?? ''}>
                  <td className="ellipsis" title={x.probe}>{x.probe}</td>
                  <td className={x.identity && x.identity === x.label ? 'ok' : x.identity ? 'bad' : 'muted'}>{x.identity ?? 'rejected'}</td>
                  <td className="num mono">{x.score.toFixed(3)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </div>
  );
}
