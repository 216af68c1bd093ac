import { useMemo, useState } from 'react';
import { useReactFlow } from '@xyflow/react';
import { registry } from '../../../nodes/index.js';
import { NODE_CATEGORIES } from '../../graph/node-definition.js';
import { PORT_TYPES } from '../../graph/ports.js';
import { CATEGORY_COLORS } from './categories.js';
import { PALETTE_DRAG_TYPE } from './Canvas.js';
import { addNodeAt } from './commands.js';
import { searchNodes } from './search.js';

/** Node types by category with a search box; click adds at the canvas centre, drag drops where you let go. */
export function Palette() {
  const [query, setQuery] = useState('');
  const flow = useReactFlow();
  const defs = useMemo(() => searchNodes(registry.list(), query), [query]);
  const addAtCentre = (type: string) => {
    const el = document.querySelector('.canvas')?.getBoundingClientRect();
    const centre = el ? { x: el.left + el.width / 2, y: el.top + el.height / 2 } : { x: innerWidth / 2, y: innerHeight / 2 };
    addNodeAt(type, flow.screenToFlowPosition(centre));
  };
  return (
    <div className="palette">
      <input
        className="search"
        type="search"
        placeholder="Search nodes…"
        aria-label="Search node types (Enter adds the first)"
        value={query}
        data-testid="palette-search"
        onChange={(e) => setQuery(e.target.value)}
        onKeyDown={(e) => e.key === 'Enter' && defs[0] && addAtCentre(defs[0].type)}
      />
      {NODE_CATEGORIES.map((cat) => {
        const inCat = defs.filter((d) => d.category === cat);
        if (!inCat.length) return null;
        return (
          <section key={cat} className="palette-cat">
            <h3><span className="dot" style={{ background: CATEGORY_COLORS[cat] }} />{cat}</h3>
            {inCat.map((d) => (
              <button
                key={d.type}
                className="palette-item"
                draggable
                data-testid="palette-item"
                data-node-type={d.type}
                title={d.doc}
                onDragStart={(e) => {
                  e.dataTransfer.setData(PALETTE_DRAG_TYPE, d.type);
                  e.dataTransfer.effectAllowed = 'copy';
                }}
                onClick={() => addAtCentre(d.type)}
              >
                <span className="pi-title">{d.title}</span>
                <span className="pi-ports">
                  {[...Object.values(d.inputs), ...Object.values(d.outputs)].map((p, i) => (
                    <span key={i} className="pi-port" style={{ background: PORT_TYPES[p.type].color }} />
                  ))}
                </span>
                <span className="pi-doc">{d.doc}</span>
              </button>
            ))}
          </section>
        );
      })}
      {!defs.length && <p className="muted">No node matches “{query}”.</p>}
    </div>
  );
}
