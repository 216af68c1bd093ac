import { loadPipeline } from '../../graph/load.js';
import { resolvePresetPathsAgainstUrl } from '../../graph/preset-paths.js';
import type { Pipeline } from '../../graph/schema.js';

export interface BundledPreset {
  /** File stem, e.g. "clahe". */
  id: string;
  pipeline?: Pipeline;
  /** Why the file did not load (shown in the gallery instead of hiding it). */
  error?: string;
}

const files = import.meta.glob<unknown>('../../../presets/*.json', { eager: true, import: 'default' });

export const BUNDLED_PRESETS: BundledPreset[] = Object.entries(files)
  .map(([path, json]): BundledPreset => {
    const id = path.replace(/^.*\//, '').replace(/\.json$/, '');
    const r = loadPipeline(json);
    // Weights named relative to the preset file are fetched from next to it (presets/weights/...).
    return r.ok ? { id, pipeline: resolvePresetPathsAgainstUrl(r.pipeline, `${import.meta.env.BASE_URL}presets/${id}.json`) } : { id, error: r.error };
  })
  .sort((a, b) => a.id.localeCompare(b.id));

/** The landing pipeline (a presets/ file stem): the paper's full system, run on the first sample photo. */
export const DEFAULT_PRESET = 'paper-attention-transformer';

export function defaultPreset(): Pipeline {
  const p = BUNDLED_PRESETS.find((b) => b.id === DEFAULT_PRESET)?.pipeline;
  if (p) return p;
  const any = BUNDLED_PRESETS.find((b) => b.pipeline)?.pipeline;
  if (any) return any;
  return { schema: 'faceflow/pipeline', version: 2, name: 'Untitled', description: '', nodes: [], edges: [] };
}
