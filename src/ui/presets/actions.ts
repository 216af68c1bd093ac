import { registry } from '../../../nodes/index.js';
import { loadPipelineText } from '../../graph/load.js';
import { isPng, readPngText } from '../../io/png-meta.js';
import type { Pipeline } from '../../graph/schema.js';
import { validatePipeline } from '../../graph/validate.js';
import { doc, loadDocument, toast } from '../state/store.js';
import { browserOnlyFiles, portablePipeline, resolveImported } from './portable.js';
import { readUserPresets, writeUserPresets, type UserPreset } from './storage.js';

export function slug(name: string): string {
  return name.trim().toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'pipeline';
}

/** Save the document as a portable .json (bundled weights named relative to presets/, see portable.ts). */
export function downloadPipeline(p: Pipeline): void {
  const local = browserOnlyFiles(p);
  if (local.length) toast(`Exported, but ${local.join(', ')} live only in this browser: save those weights to files and point the params at them to run it elsewhere`, 'error', 10_000);
  const blob = new Blob([`${JSON.stringify(portablePipeline(p), null, 2)}\n`], { type: 'application/json' });
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = `${slug(p.name)}.json`;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

/**
 * Parse, migrate and check a preset file; on any problem return the message and change nothing.
 * Node types this build does not know are refused too (they could not run or be edited).
 */
export function parsePresetFile(name: string, text: string): { ok: true; pipeline: Pipeline; note?: string } | { ok: false; error: string } {
  const r = loadPipelineText(text);
  if (!r.ok) return { ok: false, error: `${name}: ${r.error}` };
  // The whole document is validated, edges included, before anything changes: unknown types,
  // bad params, edges to missing nodes or ports, wrong port types, cycles. Only unconnected
  // inputs are allowed (an unfinished graph can be imported and finished in the editor).
  const issues = validatePipeline(r.pipeline, registry).filter((i) => !/required input .* is not connected$/.test(i.message));
  if (issues.length) return { ok: false, error: `${name}: ${issues.slice(0, 3).map((i) => i.message).join('; ')}${issues.length > 3 ? ` (and ${issues.length - 3} more)` : ''}` };
  return { ok: true, pipeline: resolveImported(r.pipeline), note: r.migratedFrom ? `migrated from version ${r.migratedFrom}` : undefined };
}

/** The pipeline JSON a PNG carries (see src/io/png-meta.ts), or why there is none. */
export function pipelineTextFromPng(name: string, bytes: Uint8Array): { ok: true; text: string } | { ok: false; error: string } {
  try {
    const text = readPngText(bytes);
    return text === undefined ? { ok: false, error: `${name}: this PNG carries no FaceFlow pipeline` } : { ok: true, text };
  } catch (e) {
    return { ok: false, error: `${name}: ${(e as Error).message}` };
  }
}

export const isPngFile = (file: File) => file.type === 'image/png' || /\.png$/i.test(file.name);

/** Import a preset from a .json file, or from a PNG exported by the lab (its pipeline metadata). */
export async function importPresetFile(file: File): Promise<string | undefined> {
  let text: string;
  if (isPngFile(file)) {
    const bytes = new Uint8Array(await file.arrayBuffer());
    const t = isPng(bytes) ? pipelineTextFromPng(file.name, bytes) : { ok: false as const, error: `${file.name}: not a PNG file` };
    if (!t.ok) {
      toast(`Import failed: ${t.error}`, 'error');
      return t.error;
    }
    text = t.text;
  } else text = await file.text();
  const r = parsePresetFile(file.name, text);
  if (!r.ok) {
    toast(`Import failed: ${r.error}`, 'error');
    return r.error;
  }
  loadDocument(r.pipeline);
  toast(`Imported “${r.pipeline.name}”${r.note ? ` (${r.note})` : ''}`);
  return undefined;
}

/** Save the working pipeline under `name` (replacing a preset of that name). */
export function savePresetAs(name: string): UserPreset[] {
  const trimmed = name.trim();
  const pipeline = { ...doc(), name: trimmed };
  const list = readUserPresets().filter((p) => p.name !== trimmed);
  const next = [...list, { name: trimmed, savedAt: Date.now(), pipeline }].sort((a, b) => a.name.localeCompare(b.name));
  writeUserPresets(next);
  if (doc().name !== trimmed) loadDocument(pipeline);
  return next;
}

export function renamePreset(from: string, to: string): UserPreset[] {
  const list = readUserPresets();
  const trimmed = to.trim();
  if (!trimmed || trimmed === from) return list;
  if (list.some((p) => p.name === trimmed)) throw new Error(`a preset named “${trimmed}” already exists`);
  const next = list.map((p) => (p.name === from ? { ...p, name: trimmed, pipeline: { ...p.pipeline, name: trimmed } } : p));
  writeUserPresets(next);
  return next;
}

/** Delete a saved preset; the message that says so has an Undo button that puts it back. */
export function deletePreset(name: string): UserPreset[] {
  const list = readUserPresets();
  const gone = list.find((p) => p.name === name);
  const next = list.filter((p) => p.name !== name);
  writeUserPresets(next);
  if (gone) toast(`Deleted “${name}”`, 'info', 10_000, { label: 'Undo', run: () => restorePreset(gone) });
  return next;
}

/** Put a deleted preset back (unless a preset of that name was saved since). */
export function restorePreset(preset: UserPreset): UserPreset[] {
  const list = readUserPresets();
  if (list.some((p) => p.name === preset.name)) {
    toast(`Not restored: a preset named “${preset.name}” exists again`, 'error');
    return list;
  }
  const next = [...list, preset].sort((a, b) => a.name.localeCompare(b.name));
  writeUserPresets(next);
  return next;
}
