import { registry } from '../../../nodes/index.js';
import { isPortType, PORT_TYPES } from '../../graph/ports.js';
import type { Pipeline } from '../../graph/schema.js';
import { CATEGORY_COLORS } from './categories.js';

const W = 200;
const HEAD = 36;
const ROW = 18;
const PAD = 40;

/** A schematic of the pipeline (nodes at their canvas positions, typed ports, wires) drawn on a canvas, for PNG export. */
export function drawPipeline(doc: Pipeline, scale = 2): HTMLCanvasElement {
  const box = new Map(doc.nodes.map((n) => {
    const def = registry.get(n.type);
    const rows = Math.max(Object.keys(def?.inputs ?? {}).length, Object.keys(def?.outputs ?? {}).length, 1);
    return [n.id, { x: n.position.x, y: n.position.y, h: HEAD + rows * ROW + 10 }];
  }));
  const xs = [...box.values()];
  const minX = Math.min(0, ...xs.map((b) => b.x));
  const minY = Math.min(0, ...xs.map((b) => b.y));
  const width = Math.max(...xs.map((b) => b.x + W), W) - minX + 2 * PAD;
  const height = Math.max(...xs.map((b) => b.y + b.h), HEAD) - minY + 2 * PAD + 30;
  const c = document.createElement('canvas');
  c.width = Math.ceil(width * scale);
  c.height = Math.ceil(height * scale);
  const ctx = c.getContext('2d')!;
  ctx.scale(scale, scale);
  ctx.fillStyle = '#0d1117';
  ctx.fillRect(0, 0, width, height);
  ctx.translate(PAD - minX, PAD - minY + 30);
  ctx.font = '600 14px system-ui, sans-serif';
  ctx.fillStyle = '#d7dee8';
  ctx.fillText(doc.name, minX, minY - 14);

  const portAt = (nodeId: string, port: string, side: 'in' | 'out') => {
    const n = doc.nodes.find((x) => x.id === nodeId);
    const b = box.get(nodeId);
    const def = n && registry.get(n.type);
    if (!b || !def) return undefined;
    const names = Object.keys(side === 'in' ? def.inputs : def.outputs);
    const i = Math.max(0, names.indexOf(port));
    return { x: side === 'in' ? b.x : b.x + W, y: b.y + HEAD + i * ROW + ROW / 2 };
  };
  ctx.lineWidth = 2;
  for (const e of doc.edges) {
    const a = portAt(e.from.node, e.from.port, 'out');
    const b = portAt(e.to.node, e.to.port, 'in');
    if (!a || !b) continue;
    const type = registry.get(doc.nodes.find((n) => n.id === e.from.node)!.type)?.outputs[e.from.port]?.type;
    ctx.strokeStyle = type && isPortType(type) ? PORT_TYPES[type].color : '#666';
    const dx = Math.max(40, Math.abs(b.x - a.x) / 2);
    ctx.beginPath();
    ctx.moveTo(a.x, a.y);
    ctx.bezierCurveTo(a.x + dx, a.y, b.x - dx, b.y, b.x, b.y);
    ctx.stroke();
  }
  for (const n of doc.nodes) {
    const b = box.get(n.id)!;
    const def = registry.get(n.type);
    ctx.fillStyle = '#18202b';
    ctx.strokeStyle = '#334155';
    ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.roundRect(b.x, b.y, W, b.h, 8);
    ctx.fill();
    ctx.stroke();
    ctx.fillStyle = def ? CATEGORY_COLORS[def.category] : '#e35d6a';
    ctx.fillRect(b.x + 1, b.y + 1, W - 2, 3);
    ctx.fillStyle = '#d7dee8';
    ctx.font = '600 12.5px system-ui, sans-serif';
    ctx.fillText(def?.title ?? n.type, b.x + 10, b.y + 20);
    ctx.fillStyle = '#6b778a';
    ctx.font = '10.5px ui-monospace, monospace';
    ctx.fillText(n.label ?? n.id, b.x + 10, b.y + 32);
    ctx.font = '11px system-ui, sans-serif';
    for (const [side, ports] of [['in', def?.inputs ?? {}], ['out', def?.outputs ?? {}]] as const) {
      Object.entries(ports).forEach(([name, spec]) => {
        const p = portAt(n.id, name, side)!;
        ctx.fillStyle = isPortType(spec.type) ? PORT_TYPES[spec.type].color : '#666';
        ctx.beginPath();
        ctx.arc(p.x, p.y, 4, 0, Math.PI * 2);
        ctx.fill();
        ctx.fillStyle = '#9aa7b8';
        ctx.textAlign = side === 'in' ? 'left' : 'right';
        ctx.fillText(name, side === 'in' ? p.x + 9 : p.x - 9, p.y + 4);
        ctx.textAlign = 'left';
      });
    }
  }
  return c;
}
