import { useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import { registry } from '../../../nodes/index.js';
import { connectionChoices } from '../a11y/connections.js';
import { useLab } from '../state/store.js';
import { listboxKeyDown } from './listbox-keys.js';
import { tryConnect } from './commands.js';
import { focusNode } from './focus.js';

/** The node whose connections the picker offers (opened with C on a focused or selected node). */
let openFor: string | undefined;
const listeners = new Set<() => void>();
export function openConnectPicker(nodeId: string | undefined): void {
  openFor = nodeId;
  for (const l of listeners) l();
}
export const connectPickerOpen = (): boolean => openFor !== undefined;

/**
 * Connect from the keyboard: every connection the node can make that the graph accepts (its outputs
 * to the other nodes' fitting inputs, and their outputs to its inputs), filtered as you type.
 * React Flow has no keyboard way to draw an edge; this is that.
 */
export function ConnectPicker() {
  const nodeId = useSyncExternalStore((l) => (listeners.add(l), () => listeners.delete(l)), () => openFor);
  const pipeline = useLab((s) => s.history.present);
  const [query, setQuery] = useState('');
  const [active, setActive] = useState(0);
  const input = useRef<HTMLInputElement>(null);
  const choices = useMemo(() => (nodeId ? connectionChoices(pipeline, registry, nodeId) : []), [pipeline, nodeId]);
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  const shown = choices.filter((c) => words.every((w) => c.label.toLowerCase().includes(w)));

  useEffect(() => {
    setQuery('');
    setActive(0);
    if (nodeId) input.current?.focus();
  }, [nodeId]);
  if (!nodeId) return null;
  const node = pipeline.nodes.find((n) => n.id === nodeId);
  if (!node) return null;
  const title = node.label ?? registry.get(node.type)?.title ?? node.type;

  const close = () => {
    openConnectPicker(undefined);
    focusNode(nodeId);
  };
  const pick = (i: number) => {
    const c = shown[i];
    if (!c) return;
    tryConnect(c.from, c.to);
    close();
  };
  const optionId = (i: number) => `connect-option-${i}`;
  return (
    <div className="quick-add-backdrop" onMouseDown={(e) => e.target === e.currentTarget && close()}>
      <div className="quick-add connect-picker" style={{ left: Math.max(12, innerWidth / 2 - 220), top: 110, width: 440 }} role="dialog" aria-modal="true" aria-labelledby="connect-title" data-testid="connect-picker">
        <h2 id="connect-title" className="connect-title">Connect {title}</h2>
        <input
          ref={input}
          data-testid="connect-input"
          role="combobox"
          aria-expanded="true"
          aria-controls="connect-options"
          aria-activedescendant={shown[active] ? optionId(active) : undefined}
          aria-label={`Filter the connections of ${title}`}
          placeholder="Filter: a port, a node…"
          value={query}
          onChange={(e) => {
            setQuery(e.target.value);
            setActive(0);
          }}
          onKeyDown={(e) => listboxKeyDown(e, shown.length, setActive, () => pick(active), close)}
        />
        <ul className="quick-add-list" id="connect-options" role="listbox" aria-label="Connections">
          {shown.map((c, i) => (
            <li key={`${c.from.node}.${c.from.port}>${c.to.node}.${c.to.port}`} id={optionId(i)} role="option" aria-selected={i === active}
              className={i === active ? 'active' : ''} data-testid="connect-option" data-from={`${c.from.node}.${c.from.port}`} data-to={`${c.to.node}.${c.to.port}`}
              onMouseEnter={() => setActive(i)} onClick={() => pick(i)}>
              <span className="qa-title">{c.label}</span>
              {c.replaces && <span className="qa-cat">replaces its input</span>}
            </li>
          ))}
          {!shown.length && <li className="empty">{choices.length ? 'No connection matches.' : 'No connection fits this node.'}</li>}
        </ul>
      </div>
    </div>
  );
}
