import { GESTURES, modName, type Shortcut } from './shortcuts.js';
import { lab } from './state/store.js';
import { useReturnFocus } from './a11y/focus-return.js';

/** Every shortcut and gesture, from the same records the key handler uses. */
export function HelpPanel({ list }: { list: Shortcut[] }) {
  const close = () => lab.set({ helpOpen: false });
  useReturnFocus();
  return (
    <div className="modal-backdrop" onMouseDown={(e) => e.target === e.currentTarget && close()}>
      <div className="modal help" role="dialog" aria-modal="true" aria-labelledby="help-title" data-testid="help">
        <div className="modal-head">
          <h2 id="help-title">Keyboard shortcuts</h2>
          <button className="icon" onClick={close} aria-label="Close" autoFocus>✕</button>
        </div>
        <div className="help-grid">
          <table>
            <tbody>
              {list.map((s) => (
                <tr key={s.label}>
                  <td>{s.keys.map((k) => <kbd key={k}>{k.replace('Mod', modName)}</kbd>)}</td>
                  <td>{s.label}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <table>
            <tbody>
              {GESTURES.map(([g, what]) => (
                <tr key={g}><td><kbd>{g.replace('Mod', modName)}</kbd></td><td>{what}</td></tr>
              ))}
            </tbody>
          </table>
        </div>
        <p className="muted small">Every edit (add, delete, connect, move, params, paste, layout, loading a preset) is one step in the undo history. The graph autosaves in this browser.</p>
      </div>
    </div>
  );
}
