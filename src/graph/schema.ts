import { z } from 'zod';

/** The current pipeline document version. Bump it only together with a new file in ./migrations. */
export const PIPELINE_VERSION = 3;
export const PIPELINE_SCHEMA_ID = 'faceflow/pipeline';

/** Names of Object.prototype's members: refused as node ids, which key plain objects in results, reports and views. */
const RESERVED_IDS = new Set(Object.getOwnPropertyNames(Object.prototype));

const id = z.string()
  .regex(/^[A-Za-z_][A-Za-z0-9_-]*$/, 'must start with a letter or _ and contain only letters, digits, _ and -')
  .refine((s) => !RESERVED_IDS.has(s), { message: 'is a reserved name (a member of every JavaScript object); choose another id' });

export const PortRefSchema = z.object({ node: id, port: z.string().min(1) });

export const PipelineNodeSchema = z.object({
  id,
  type: z.string().min(1),
  params: z.record(z.string(), z.unknown()).default({}),
  /** The node type's params version these params were written at (absent: 1); see src/graph/param-migrations.ts. */
  paramsVersion: z.number().int().min(1).optional(),
  position: z.object({ x: z.number().finite(), y: z.number().finite() }).default({ x: 0, y: 0 }),
  label: z.string().optional(),
});

export const PipelineEdgeSchema = z.object({
  from: PortRefSchema,
  to: PortRefSchema,
});

/** A note on the canvas, or a group: a titled frame drawn behind the nodes it encloses. Neither affects a run. */
export const AnnotationSchema = z.object({
  id,
  kind: z.enum(['note', 'group']),
  text: z.string().max(20_000).default(''),
  position: z.object({ x: z.number().finite(), y: z.number().finite() }),
  size: z.object({ width: z.number().finite().positive(), height: z.number().finite().positive() }),
});

export const PipelineSchema = z.object({
  schema: z.literal(PIPELINE_SCHEMA_ID),
  // a number in the type (documents in code may still say 2); loading migrates and this checks it is the current one
  version: z.number().refine((v): boolean => v === PIPELINE_VERSION, { message: `must be ${PIPELINE_VERSION} after migration` }),
  name: z.string().min(1),
  description: z.string().default(''),
  nodes: z.array(PipelineNodeSchema),
  edges: z.array(PipelineEdgeSchema).default([]),
  annotations: z.array(AnnotationSchema).optional(),
});

export type Pipeline = z.output<typeof PipelineSchema>;
export type PipelineNode = Pipeline['nodes'][number];
export type PipelineEdge = Pipeline['edges'][number];
export type PortRef = z.output<typeof PortRefSchema>;
export type Annotation = z.output<typeof AnnotationSchema>;

export function edgeId(e: PipelineEdge): string {
  return `${e.from.node}.${e.from.port}->${e.to.node}.${e.to.port}`;
}
