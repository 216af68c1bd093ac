import { useEffect, useMemo, useRef, useState } from 'react';
import { registry } from '../../../nodes/index.js';
import { PORT_TYPES } from '../../graph/ports.js';
import { lab, useLab } from '../state/store.js';
import { listboxKeyDown } from './listbox-keys.js';
import { CATEGORY_COLORS } from './categories.js';
import { addNodeAt } from './commands.js';
import { focusNode } from './focus.js';
import { searchNodes } from './search.js';

/** Search-to-add popup (/, Space, double-click on the canvas, or a wire dropped on empty canvas). */
export function QuickAdd() {
  const state = useLab((s) => s.quickAdd);
  const [query, setQuery] = useState('');
  const [active, setActive] = useState(0);
  const input = useRef<HTMLInputElement>(null);
  const results = useMemo(() => searchNodes(registry.list(), query, state?.wire), [query, state]);

  useEffect(() => {
    setQuery('');
    setActive(0);
    if (state) input.current?.focus();
  }, [state]);
  if (!state) return null;

  const close = () => {
    lab.set({ quickAdd: undefined });
    if (state.returnTo) focusNode(state.returnTo, false);
  };
  const pick = (type: string) => {
    lab.set({ quickAdd: undefined });
    const id = addNodeAt(type, state.flow, state.wire);
    // The keyboard goes on from the new node (C connects it, Delete removes it).
    if (id) focusNode(id);
  };
  const optionId = (i: number) => `quick-add-option-${i}`;
  const left = Math.min(state.screen.x, window.innerWidth - 340);
  const top = Math.min(state.screen.y, window.innerHeight - 380);
  return (
    <div className="quick-add-backdrop" onMouseDown={(e) => e.target === e.currentTarget && close()}>
      <div className="quick-add" style={{ left, top }} role="dialog" aria-modal="true" aria-label="Add node">
        <input
          ref={input}
          data-testid="quick-add-input"
          role="combobox"
          aria-label="Search node types to add"
          aria-expanded="true"
          aria-controls="quick-add-options"
          aria-activedescendant={results[active] ? optionId(active) : undefined}
          placeholder={state.wire ? `Add a node taking ${state.wire.side === 'out' ? 'an input' : 'an output'} of type ${state.wire.type}…` : 'Search nodes…'}
          value={query}
          onChange={(e) => {
            setQuery(e.target.value);
            setActive(0);
          }}
          onKeyDown={(e) => listboxKeyDown(e, results.length, setActive, () => (results[active] ? pick(results[active].type) : false), close)}
        />
        {state.wire && (
          <div className="quick-add-filter">
            only nodes with {state.wire.side === 'out' ? 'an input' : 'an output'} of type{' '}
            <span style={{ color: PORT_TYPES[state.wire.type].color }}>{state.wire.type}</span>
          </div>
        )}
        <ul className="quick-add-list" id="quick-add-options" role="listbox" aria-label="Node types">
          {results.map((d, i) => (
            <li
              key={d.type}
              id={optionId(i)}
              role="option"
              aria-selected={i === active}
              className={i === active ? 'active' : ''}
              data-testid="quick-add-item"
              data-node-type={d.type}
              onMouseEnter={() => setActive(i)}
              onClick={() => pick(d.type)}
            >
              <span className="dot" style={{ background: CATEGORY_COLORS[d.category] }} />
              <span className="qa-title">{d.title}</span>
              <span className="qa-cat">{d.category}</span>
              <span className="qa-doc">{d.doc}</span>
            </li>
          ))}
          {!results.length && <li className="empty">No node matches{state.wire ? ' this wire' : ''}.</li>}
        </ul>
      </div>
    </div>
  );
}
