import { MIGRATIONS } from './migrations/index.js';
import { PIPELINE_SCHEMA_ID, PIPELINE_VERSION, PipelineSchema, type Pipeline } from './schema.js';
import { formatZodIssue, jsonErrorWithoutContents } from './errors.js';

export type LoadResult = { ok: true; pipeline: Pipeline; migratedFrom?: number } | { ok: false; error: string };

/** Parse JSON text into a pipeline: check the schema id and version, migrate, then validate the shape. */
export function loadPipelineText(text: string): LoadResult {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return { ok: false, error: jsonErrorWithoutContents(e) };
  }
  return loadPipeline(json);
}

export function loadPipeline(json: unknown): LoadResult {
  if (!json || typeof json !== 'object' || Array.isArray(json)) return { ok: false, error: 'expected a JSON object' };
  let doc = json as Record<string, unknown>;
  if (doc.schema !== PIPELINE_SCHEMA_ID) return { ok: false, error: `"schema" must be "${PIPELINE_SCHEMA_ID}" (found ${JSON.stringify(doc.schema)})` };
  const version = doc.version;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    return { ok: false, error: `"version" must be a positive integer (found ${JSON.stringify(version)})` };
  }
  if (version > PIPELINE_VERSION) {
    return { ok: false, error: `version ${version} is newer than this FaceFlow Lab understands (${PIPELINE_VERSION}); update the app` };
  }
  for (const step of MIGRATIONS) {
    if (step.from < (doc.version as number)) continue;
    try {
      doc = step.migrate(doc);
    } catch (e) {
      return { ok: false, error: `migrating version ${step.from} to ${step.to}: ${(e as Error).message}` };
    }
  }
  const parsed = PipelineSchema.safeParse(doc);
  if (!parsed.success) return { ok: false, error: formatZodIssue(parsed.error.issues[0]) };
  return { ok: true, pipeline: parsed.data, migratedFrom: version < PIPELINE_VERSION ? version : undefined };
}
