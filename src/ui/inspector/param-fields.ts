import { z } from 'zod';

/** What the form needs to know about one param, read from the zod schema's JSON Schema. */
export type ParamField =
  | { key: string; kind: 'range'; min: number; max: number; step: number; integer: boolean; def: unknown; doc?: string }
  | { key: string; kind: 'number'; integer: boolean; min?: number; max?: number; def: unknown; doc?: string }
  | { key: string; kind: 'enum'; options: (string | number)[]; def: unknown; doc?: string }
  | { key: string; kind: 'boolean'; def: unknown; doc?: string }
  | { key: string; kind: 'string'; def: unknown; doc?: string }
  | { key: string; kind: 'numbers'; def: unknown; doc?: string }
  | { key: string; kind: 'json'; def: unknown; doc?: string };

interface JsonProp {
  type?: string | string[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  enum?: (string | number)[];
  default?: unknown;
  description?: string;
  items?: JsonProp;
}

/** Slider only for spans a person can sweep; wider ranges get a number box. */
const MAX_SLIDER_SPAN = 100_000;

function niceStep(span: number): number {
  const raw = span / 200;
  const pow = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= raw) ?? raw;
}

const cache = new WeakMap<z.ZodObject, ParamField[]>();

export function paramFields(schema: z.ZodObject): ParamField[] {
  const hit = cache.get(schema);
  if (hit) return hit;
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as { properties?: Record<string, JsonProp> };
  const fields = Object.entries(json.properties ?? {}).map(([key, p]): ParamField => {
    const base = { key, def: p.default, doc: p.description };
    const type = Array.isArray(p.type) ? p.type.find((t) => t !== 'null') : p.type;
    if (p.enum) return { ...base, kind: 'enum', options: p.enum };
    if (type === 'boolean') return { ...base, kind: 'boolean' };
    if (type === 'number' || type === 'integer') {
      const integer = type === 'integer';
      const min = p.minimum ?? p.exclusiveMinimum;
      const max = p.maximum ?? p.exclusiveMaximum;
      if (min !== undefined && max !== undefined && max - min <= MAX_SLIDER_SPAN) {
        return { ...base, kind: 'range', min, max, integer, step: integer ? Math.max(1, Math.round(niceStep(max - min))) : niceStep(max - min) };
      }
      return { ...base, kind: 'number', integer, min, max };
    }
    if (type === 'string') return { ...base, kind: 'string' };
    if (type === 'array' && (p.items?.type === 'number' || p.items?.type === 'integer')) return { ...base, kind: 'numbers' };
    return { ...base, kind: 'json' };
  });
  cache.set(schema, fields);
  return fields;
}

/** Check one param value with its own zod field; returns the parsed value or a message. */
export function checkParam(schema: z.ZodObject, key: string, value: unknown): { ok: true; value: unknown } | { ok: false; message: string } {
  const field = schema.shape[key] as z.ZodType | undefined;
  if (!field) return { ok: false, message: `unknown param "${key}"` };
  const r = field.safeParse(value);
  return r.success ? { ok: true, value } : { ok: false, message: r.error.issues[0]?.message ?? 'invalid value' };
}
