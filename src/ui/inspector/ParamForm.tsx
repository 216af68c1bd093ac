import { useEffect, useId, useState } from 'react';
import type { z } from 'zod';
import { setParam } from '../../graph/edit.js';
import { edit } from '../state/store.js';
import { checkParam, paramFields, type ParamField } from './param-fields.js';

function formatNumber(v: unknown): string {
  return typeof v === 'number' ? String(Number(v.toPrecision(6))) : v === undefined ? '' : String(v);
}

/** A text box that commits on Enter/blur (and live when valid), showing why a value is refused. */
function DraftInput({ value, parse, onCommit, testId, ...rest }: {
  value: string;
  parse: (text: string) => { ok: true; value: unknown } | { ok: false; message: string };
  onCommit: (v: unknown) => void;
  testId: string;
  type?: string;
  step?: number;
  className?: string;
  id?: string;
}) {
  const [draft, setDraft] = useState(value);
  const [error, setError] = useState<string>();
  useEffect(() => {
    setDraft(value);
    setError(undefined);
  }, [value]);
  const apply = (text: string) => {
    const r = parse(text);
    if (r.ok) {
      setError(undefined);
      onCommit(r.value);
    } else setError(r.message);
  };
  return (
    <>
      <input
        {...rest}
        data-testid={testId}
        value={draft}
        aria-invalid={!!error}
        aria-errormessage={error && rest.id ? `${rest.id}-error` : undefined}
        onChange={(e) => setDraft(e.target.value)}
        onBlur={() => draft !== value && apply(draft)}
        onKeyDown={(e) => {
          if (e.key === 'Enter') apply(draft);
          if (e.key === 'Escape') setDraft(value);
        }}
      />
      {error && <div className="field-error" id={rest.id ? `${rest.id}-error` : undefined} role="alert">{error}</div>}
    </>
  );
}

/** One param's control; `id` is the id its label points at (the slider of a range gets `${id}-slider`, named by the same label). */
function Field({ id, field, value, schema, onChange }: { id: string; field: ParamField; value: unknown; schema: z.ZodObject; onChange: (v: unknown) => void }) {
  const check = (v: unknown) => checkParam(schema, field.key, v);
  const toNumber = (text: string) => {
    const n = Number(text.trim());
    return text.trim() === '' || !Number.isFinite(n) ? ({ ok: false, message: 'enter a number' } as const) : check(n);
  };
  const testId = `param-${field.key}`;
  switch (field.kind) {
    case 'range':
      return (
        <div className="range-row">
          <input type="range" id={`${id}-slider`} aria-labelledby={`${id}-label`} min={field.min} max={field.max} step={field.step} value={Number(value ?? field.def ?? field.min)} data-testid={`${testId}-slider`}
            onChange={(e) => onChange(Number(e.target.value))} />
          <DraftInput id={id} className="num" type="text" value={formatNumber(value)} parse={toNumber} onCommit={onChange} testId={testId} />
        </div>
      );
    case 'number':
      return <DraftInput id={id} className="num" type="text" value={formatNumber(value)} parse={toNumber} onCommit={onChange} testId={testId} />;
    case 'enum':
      return (
        <select id={id} data-testid={testId} value={String(value)} onChange={(e) => onChange(field.options.find((o) => String(o) === e.target.value))}>
          {field.options.map((o) => <option key={String(o)} value={String(o)}>{String(o)}</option>)}
        </select>
      );
    case 'boolean':
      return (
        <label className="switch">
          <input type="checkbox" id={id} data-testid={testId} checked={!!value} onChange={(e) => onChange(e.target.checked)} />
          <span>{value ? 'on' : 'off'}</span>
        </label>
      );
    case 'string':
      return <DraftInput id={id} type="text" value={String(value ?? '')} parse={(t) => check(t)} onCommit={onChange} testId={testId} />;
    case 'numbers':
      return (
        <DraftInput id={id} type="text" value={Array.isArray(value) ? value.join(', ') : ''} testId={testId} onCommit={onChange}
          parse={(t) => {
            const parts = t.split(/[\s,]+/).filter(Boolean).map(Number);
            return parts.some((n) => !Number.isFinite(n)) ? { ok: false, message: 'enter numbers separated by commas' } : check(parts);
          }} />
      );
    case 'json':
      return (
        <DraftInput id={id} type="text" value={JSON.stringify(value)} testId={testId} onCommit={onChange}
          parse={(t) => {
            try {
              return check(JSON.parse(t));
            } catch {
              return { ok: false, message: 'enter valid JSON' };
            }
          }} />
      );
  }
}

/** The node's params as a form generated from its zod schema; each change is an undoable edit (slider drags merge). */
export function ParamForm({ nodeId, schema, params }: { nodeId: string; schema: z.ZodObject; params: Record<string, unknown> }) {
  const fields = paramFields(schema);
  const base = useId();
  if (!fields.length) return <p className="muted">No parameters.</p>;
  return (
    <div className="param-form">
      {fields.map((f) => {
        const value = params[f.key] ?? f.def;
        const isDefault = JSON.stringify(value) === JSON.stringify(f.def);
        return (
          <div className="param" key={f.key}>
            <div className="param-head">
              <label htmlFor={`${base}-${f.key}`} id={`${base}-${f.key}-label`}>{f.key}</label>
              {!isDefault && (
                <button className="link" title={`reset to ${JSON.stringify(f.def)}`} onClick={() => edit((d) => setParam(d, nodeId, f.key, f.def))}>reset</button>
              )}
            </div>
            <Field id={`${base}-${f.key}`} field={f} value={value} schema={schema} onChange={(v) => edit((d) => setParam(d, nodeId, f.key, v), `param:${nodeId}.${f.key}`)} />
            {f.doc && <div className="param-doc">{f.doc}</div>}
          </div>
        );
      })}
    </div>
  );
}
