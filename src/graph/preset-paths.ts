import type { Pipeline } from './schema.js';

/**
 * Params that name a file a node reads (trained weights written by `faceflow train`, galleries,
 * pairs files, a fixed input image, an own backbone's model file). A relative value is relative to the preset file: the CLI
 * resolves it against the preset's folder, the app against the URL the preset was loaded from,
 * so a preset and its files can be moved or served together. They are also what the file access
 * policy checks when a preset is loaded (src/io/file-policy.ts).
 */
export const PRESET_FILE_PARAMS = ['weights', 'occlusionWeights', 'galleryFile', 'file', 'source', 'model'] as const;

/** The params the file access policy checks (the same list). */
export const PRESET_READ_PARAMS = PRESET_FILE_PARAMS;

/** Absolute paths, URLs with a scheme (http:, data:, blob:, file:) and root-relative URLs stay as they are. */
export function isRelativeRef(ref: string): boolean {
  return ref !== '' && !ref.startsWith('/') && !/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(ref) && !/^[a-zA-Z]:[\\/]/.test(ref) && !ref.startsWith('\\');
}

/** A copy of the pipeline with each relative file param passed through `resolve`. Pure. */
export function resolvePresetPaths(p: Pipeline, resolve: (ref: string) => string): Pipeline {
  const names: readonly string[] = PRESET_FILE_PARAMS;
  return {
    ...p,
    nodes: p.nodes.map((n) => {
      const params = { ...n.params };
      let changed = false;
      for (const [k, v] of Object.entries(params)) {
        if (names.includes(k) && typeof v === 'string' && isRelativeRef(v)) {
          params[k] = resolve(v);
          changed = true;
        }
      }
      return changed ? { ...n, params } : n;
    }),
  };
}

/** For the app: resolve against the URL of the preset file (e.g. `/presets/x.json` or a full URL). */
export function resolvePresetPathsAgainstUrl(p: Pipeline, presetUrl: string): Pipeline {
  const base = new URL(presetUrl, 'http://faceflow.invalid/');
  return resolvePresetPaths(p, (ref) => {
    const u = new URL(ref, base);
    return u.origin === 'http://faceflow.invalid' ? u.pathname + u.search : u.href;
  });
}
