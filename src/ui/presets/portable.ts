import { PRESET_FILE_PARAMS, resolvePresetPathsAgainstUrl } from '../../graph/preset-paths.js';
import type { Pipeline } from '../../graph/schema.js';
import { WEIGHTS_URL_PREFIX } from '../../io/weights-store.js';

/** Where the app serves the bundled presets (and their weights/) from. */
const PRESETS_URL = `${import.meta.env.BASE_URL}presets/`;

/**
 * The document as a file to hand on: file params that point into the bundled presets folder
 * (`/presets/weights/x.json` once loaded) become relative to it again (`weights/x.json`). The CLI
 * resolves such a ref next to the file, else in the bundled presets/ (src/runtime/preset.ts); the
 * lab resolves it against presets/ on import (`resolveImported`). So an export runs in both.
 */
export function portablePipeline(p: Pipeline): Pipeline {
  const names: readonly string[] = PRESET_FILE_PARAMS;
  return {
    ...p,
    nodes: p.nodes.map((n) => {
      const entries = Object.entries(n.params).map(([k, v]) =>
        [k, names.includes(k) && typeof v === 'string' && v.startsWith(PRESETS_URL) ? v.slice(PRESETS_URL.length) : v]);
      return { ...n, params: Object.fromEntries(entries) };
    }),
  };
}

/** Weights trained in this browser (IndexedDB) that a document names: they exist only here, not in an export. */
export function browserOnlyFiles(p: Pipeline): string[] {
  return p.nodes.flatMap((n) => Object.values(n.params).filter((v): v is string => typeof v === 'string' && v.startsWith(WEIGHTS_URL_PREFIX)));
}

/** An imported or shared document: its relative file refs name files of the bundled presets folder. */
export function resolveImported(p: Pipeline): Pipeline {
  return resolvePresetPathsAgainstUrl(p, `${PRESETS_URL}imported.json`);
}
