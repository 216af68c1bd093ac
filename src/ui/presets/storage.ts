import { loadPipeline } from '../../graph/load.js';
import type { Pipeline } from '../../graph/schema.js';
import type { BackendSetting } from '../../runtime/browser-worker.js';

const AUTOSAVE_KEY = 'faceflow.autosave.v1';
const PRESETS_KEY = 'faceflow.presets.v1';

export interface Autosave {
  doc: Pipeline;
  sample?: string;
  /** The input is an image the user picked, kept in IndexedDB (src/ui/run/input.ts). */
  inputFile?: boolean;
  backend?: BackendSetting;
  autoRun?: boolean;
}

export interface UserPreset {
  name: string;
  savedAt: number;
  pipeline: Pipeline;
}

function readJson(key: string): unknown {
  try {
    const text = localStorage.getItem(key);
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}

export function readAutosave(): Autosave | undefined {
  const raw = readJson(AUTOSAVE_KEY) as Partial<Autosave> | undefined;
  if (!raw || typeof raw !== 'object') return undefined;
  const r = loadPipeline(raw.doc);
  if (!r.ok) return undefined;
  return { ...raw, doc: r.pipeline };
}

export function writeAutosave(a: Autosave): void {
  try {
    localStorage.setItem(AUTOSAVE_KEY, JSON.stringify(a));
  } catch {
    /* storage full or disabled: the session still works, only without autosave */
  }
}

export function readUserPresets(): UserPreset[] {
  const raw = readJson(PRESETS_KEY);
  if (!Array.isArray(raw)) return [];
  return raw.flatMap((p: Partial<UserPreset>) => {
    const r = loadPipeline(p?.pipeline);
    return r.ok && typeof p.name === 'string' ? [{ name: p.name, savedAt: Number(p.savedAt) || 0, pipeline: r.pipeline }] : [];
  });
}

const presetListeners = new Set<(list: UserPreset[]) => void>();

/** Be told whenever the saved presets change (an undo from a message, another view); returns the unsubscribe. */
export function onUserPresetsChange(listener: (list: UserPreset[]) => void): () => void {
  presetListeners.add(listener);
  return () => void presetListeners.delete(listener);
}

/** Persist the list; throws with a readable message when the browser refuses (quota). */
export function writeUserPresets(list: UserPreset[]): void {
  try {
    localStorage.setItem(PRESETS_KEY, JSON.stringify(list));
  } catch (e) {
    throw new Error(`could not save presets in this browser (${(e as Error).message})`);
  }
  for (const l of presetListeners) l(list);
}
