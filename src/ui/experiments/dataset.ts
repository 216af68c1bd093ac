import type { RunItem } from '../../graph/node-definition.js';
import type { NodeRegistry } from '../../graph/registry.js';
import type { Pipeline, PortRef } from '../../graph/schema.js';
import { connect } from '../../graph/edit.js';

export const IMAGE_FILE = /\.(jpe?g|png)$/i;

/** A picked file and its path inside the picked folder (the folder itself left out), e.g. "Aaron/Aaron_0001.jpg". */
export interface DatasetFile {
  path: string;
  file: Blob & { size: number; lastModified?: number };
}

/** The path inside the dataset: webkitRelativePath without its first segment (the picked folder's name). */
export function datasetPath(relativePath: string, fallbackName: string): string {
  const parts = relativePath.split('/').filter(Boolean);
  return parts.length > 1 ? parts.slice(1).join('/') : fallbackName;
}

/** The picked folder's name, for the record. */
export function datasetName(relativePath: string | undefined, fallback: string): string {
  return relativePath?.split('/').filter(Boolean)[0] ?? fallback;
}

/** Run items for the images, sorted by path; each is read by the worker from its URL (a blob: URL in the browser). */
export function datasetItems(files: DatasetFile[], urlFor: (f: DatasetFile) => string): RunItem[] {
  return files
    .filter((f) => IMAGE_FILE.test(f.path))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    .map((f) => ({ id: `ds:${f.path}:${f.file.size}:${f.file.lastModified ?? 0}`, name: f.path, path: urlFor(f) }));
}

/** The node whose embeddings a dataset run verifies: the last producer of Embeddings that no other producer consumes. */
export function embeddingsSink(doc: Pipeline, registry: NodeRegistry): PortRef | undefined {
  const producers = doc.nodes
    .map((n) => ({ n, port: Object.entries(registry.get(n.type)?.outputs ?? {}).find(([, s]) => s.type === 'Embeddings')?.[0] }))
    .filter((x): x is { n: Pipeline['nodes'][number]; port: string } => !!x.port);
  const ids = new Set(producers.map((p) => p.n.id));
  const sinks = producers.filter((p) => !doc.edges.some((e) => e.from.node === p.n.id && ids.has(e.to.node)));
  const last = sinks[sinks.length - 1];
  return last && { node: last.n.id, port: last.port };
}

/**
 * The pipeline a dataset run executes: the document, plus a verify node on its embeddings when
 * it has none, plus a pairs node reading `pairsUrl` (a pairs.txt) when one is given.
 */
export function datasetPipeline(doc: Pipeline, registry: NodeRegistry, pairsUrl?: string): { pipeline: Pipeline; verifyId: string } {
  let d: Pipeline = { ...doc, nodes: [...doc.nodes], edges: [...doc.edges] };
  let verify = d.nodes.find((n) => n.type === 'verify');
  if (!verify) {
    const sink = embeddingsSink(d, registry);
    if (!sink) throw new Error('the pipeline has no node that makes embeddings: a dataset run verifies embeddings');
    verify = { id: '__verify', type: 'verify', params: {}, position: { x: 0, y: 0 } };
    d.nodes.push(verify);
    d.edges.push({ from: sink, to: { node: verify.id, port: 'embeddings' } });
  }
  if (pairsUrl) {
    const feed = d.edges.find((e) => e.to.node === verify.id && e.to.port === 'pairs');
    const pairsNode = feed && d.nodes.find((n) => n.id === feed.from.node && n.type === 'pairs');
    if (pairsNode) d = { ...d, nodes: d.nodes.map((n) => (n === pairsNode ? { ...n, params: { ...n.params, file: pairsUrl } } : n)) };
    else {
      d.nodes.push({ id: '__pairs', type: 'pairs', params: { file: pairsUrl }, position: { x: 0, y: 0 } });
      d = connect(d, { node: '__pairs', port: 'pairs' }, { node: verify.id, port: 'pairs' });
    }
  }
  return { pipeline: d, verifyId: verify.id };
}
