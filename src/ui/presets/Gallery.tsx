import { useEffect, useRef, useState } from 'react';
import { useReactFlow } from '@xyflow/react';
import { fitViewSoon } from '../editor/Canvas.js';
import { layoutForScreen } from '../editor/layout.js';
import { doc, loadDocument, toast, useLab } from '../state/store.js';
import { deletePreset, downloadPipeline, importPresetFile, renamePreset, savePresetAs } from './actions.js';
import { BUNDLED_PRESETS } from './bundled.js';
import { onUserPresetsChange, readUserPresets, type UserPreset } from './storage.js';
import type { Pipeline } from '../../graph/schema.js';

function UserPresetRow({ preset, onChange, open }: { preset: UserPreset; onChange: (l: UserPreset[]) => void; open: (p: Pipeline) => void }) {
  const [renaming, setRenaming] = useState<string>();
  const guard = (f: () => UserPreset[]) => {
    try {
      onChange(f());
    } catch (e) {
      toast((e as Error).message, 'error');
    }
  };
  return (
    <li className="preset-row" data-testid="user-preset" data-name={preset.name}>
      {renaming !== undefined ? (
        <form className="rename" onSubmit={(e) => {
          e.preventDefault();
          guard(() => renamePreset(preset.name, renaming));
          setRenaming(undefined);
        }}>
          <input autoFocus value={renaming} aria-label="New name" data-testid="rename-input" onChange={(e) => setRenaming(e.target.value)} onKeyDown={(e) => e.key === 'Escape' && setRenaming(undefined)} />
          <button className="btn small" type="submit">OK</button>
        </form>
      ) : (
        <>
          <button className="preset-name link" onClick={() => open(preset.pipeline)} title="Open">{preset.name}</button>
          <span className="muted small">{preset.pipeline.nodes.length} nodes · {new Date(preset.savedAt).toLocaleDateString()}</span>
          <span className="row-actions">
            <button className="icon" title="Rename" data-testid="rename" onClick={() => setRenaming(preset.name)}>✎</button>
            <button className="icon" title="Export .json" data-testid="export-user" onClick={() => downloadPipeline(preset.pipeline)}>⇩</button>
            <button className="icon danger" title="Delete" data-testid="delete" onClick={() => guard(() => deletePreset(preset.name))}>✕</button>
          </span>
        </>
      )}
    </li>
  );
}

/** Bundled presets, the user's saved presets (save as, rename, delete, export), and import from a file. */
export function Gallery() {
  const flow = useReactFlow();
  const name = useLab((s) => s.history.present.name);
  const [saved, setSaved] = useState(readUserPresets);
  useEffect(() => onUserPresetsChange(setSaved), []);
  const [saveName, setSaveName] = useState('');
  const [importError, setImportError] = useState<string>();
  const fileInput = useRef<HTMLInputElement>(null);
  const open = (p: Pipeline) => {
    loadDocument(p);
    fitViewSoon(flow);
  };
  return (
    <div className="gallery">
      <section>
        <h3 className="section-title">Current: {name}</h3>
        <form className="save-as" onSubmit={(e) => {
          e.preventDefault();
          if (!saveName.trim()) return;
          try {
            setSaved(savePresetAs(saveName));
            toast(`Saved “${saveName.trim()}”`);
            setSaveName('');
          } catch (err) {
            toast((err as Error).message, 'error');
          }
        }}>
          <input placeholder="Save as…" aria-label="Save the pipeline as" value={saveName} data-testid="save-as-name" onChange={(e) => setSaveName(e.target.value)} />
          <button className="btn small" type="submit" data-testid="save-as" disabled={!saveName.trim()}>Save</button>
        </form>
        <div className="gallery-actions">
          <button className="btn small" data-testid="export" onClick={() => downloadPipeline(doc())}>Export .json</button>
          <button className="btn small" data-testid="import" onClick={() => fileInput.current?.click()}>Import…</button>
          <input ref={fileInput} type="file" accept=".json,application/json,.png,image/png" hidden data-testid="import-file"
            onChange={async (e) => {
              const f = e.target.files?.[0];
              e.target.value = '';
              if (!f) return;
              const error = await importPresetFile(f);
              setImportError(error);
              if (!error) fitViewSoon(flow);
            }} />
        </div>
        {importError && <div className="error-box" data-testid="import-error">{importError}</div>}
      </section>
      <section>
        <h3 className="section-title">My presets</h3>
        {saved.length ? (
          <ul className="preset-list">{saved.map((p) => <UserPresetRow key={p.name} preset={p} onChange={setSaved} open={open} />)}</ul>
        ) : (
          <p className="muted small">Nothing saved yet. Presets are kept in this browser.</p>
        )}
      </section>
      <section>
        <h3 className="section-title">Bundled</h3>
        <div className="preset-cards">
          {BUNDLED_PRESETS.map((b) => (
            <button key={b.id} className="preset-card" data-testid="bundled-preset" data-id={b.id} disabled={!b.pipeline} onClick={() => b.pipeline && open(layoutForScreen(b.pipeline))}>
              <div className="pc-name">{b.pipeline?.name ?? b.id}</div>
              <div className="pc-desc">{b.pipeline?.description || b.error}</div>
              {b.pipeline && <div className="pc-meta">{b.pipeline.nodes.length} nodes · {b.pipeline.edges.length} edges</div>}
            </button>
          ))}
        </div>
      </section>
    </div>
  );
}
