import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { registry } from '../../nodes/index.js';
import { applyFilePolicy } from '../../src/cli/pipeline-args.js';
import { compileOrExplain, readPreset } from '../../src/runtime/preset.js';
import { UserError } from '../../src/graph/errors.js';
import { PRESET_READ_PARAMS } from '../../src/graph/preset-paths.js';
import { validatePipeline } from '../../src/graph/validate.js';
import { setFileAccessPolicy, type FileAccessPolicy } from '../../src/io/file-policy-nodejs.js';
import { createNodeIO } from '../../src/io/nodejs-io.js';
import { loadTrainedWeights } from '../../src/models/trained-weights.js';
import { mulberry32 } from '../../src/util/rng.js';

/**
 * The seeded preset fuzzer: mutations of the bundled presets (deleted and retyped fields,
 * unknown and inherited names, bad versions, cycles, dangling edges, file params pointing
 * everywhere) through the public path the CLI takes: the preset file is read from a folder,
 * migrated, validated, compiled, its file references checked by the policy, and every file it
 * names read through the same HostIO and weights loader the nodes use. A sandbox holds secret
 * files outside the preset's folder (and a symlink, a FIFO and malicious manifests inside it)
 * to see that nothing outside the allowed folders is ever opened or printed.
 */

export const SECRET_MARKER = 'FUZZ-SECRET-b8d1';
const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');

export interface Sandbox {
  dir: string;
  presetDir: string;
  outside: string;
  bases: { name: string; doc: Record<string, unknown> }[];
  cleanup(): void;
}

export function makeSandbox(): Sandbox {
  const dir = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'faceflow-fuzz-')));
  const presetDir = path.join(dir, 'preset');
  const outside = path.join(dir, 'outside');
  mkdirSync(outside, { recursive: true });
  cpSync(path.join(ROOT, 'presets', 'weights'), path.join(presetDir, 'weights'), { recursive: true });
  for (const f of ['secret.json', 'secret.txt', 'secret.bin', 'secret.weights.bin']) writeFileSync(path.join(outside, f), `${SECRET_MARKER} root:x:0:0 ${f}\n`);
  writeFileSync(path.join(outside, 'manifest.json'), JSON.stringify({ secret: SECRET_MARKER, weightsManifest: [{ paths: ['secret.bin'] }] }));
  symlinkSync(outside, path.join(presetDir, 'link-out'));
  symlinkSync(path.join(outside, 'secret.json'), path.join(presetDir, 'weights', 'linked.json'));
  execFileSync('mkfifo', [path.join(presetDir, 'fifo.json')]);
  const evil = (name: string, p: string) => writeFileSync(path.join(presetDir, 'weights', name), JSON.stringify({ format: 'faceflow/weights', kind: 'gate', weightsManifest: [{ paths: [p], weights: [] }] }));
  evil('evil-up.json', '../../outside/secret.bin');
  evil('evil-abs.json', path.join(outside, 'secret.bin'));
  evil('evil-link.json', '../link-out/secret.bin');
  evil('evil-dev.json', '/dev/zero');
  writeFileSync(path.join(presetDir, 'pairs.txt'), '1\t1\nA\t1\t2\nA\t1\tB\t1\n');
  writeFileSync(path.join(presetDir, 'gallery.json'), JSON.stringify({ format: 'faceflow/gallery', version: 1, model: 'm', dim: 2, identities: [] }));
  const bases = readdirSync(path.join(ROOT, 'presets')).filter((f) => f.endsWith('.json')).sort()
    .map((name) => ({ name, doc: JSON.parse(readFileSync(path.join(ROOT, 'presets', name), 'utf8')) as Record<string, unknown> }));
  return { dir, presetDir, outside, bases, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

const INHERITED = ['toString', 'constructor', '__proto__', 'valueOf', 'hasOwnProperty', 'prototype', '__defineGetter__'];

function dangerousPaths(sb: Sandbox): string[] {
  return [
    '/etc/passwd', '/etc/shadow', '/proc/self/environ', '/dev/zero', '/dev/urandom', '/proc/self/mem',
    '../outside/secret.json', '../../../../../../etc/hostname', 'link-out/secret.json', 'weights/linked.json', 'fifo.json',
    path.join(sb.outside, 'secret.json'), path.join(sb.outside, 'manifest.json'), `${sb.presetDir}/../outside/secret.txt`,
    'weights/evil-up.json', 'weights/evil-abs.json', 'weights/evil-link.json', 'weights/evil-dev.json',
    'weights/gate.json', 'weights/transformer.json', 'weights/occlusion.json', 'weights/gate.weights.bin', 'pairs.txt', 'gallery.json',
    'weights', '.', '', 'nope.json', 'http://example.com/x.json', 'file:///etc/passwd', 'idb:weights/x.json', '\u0000', 'a'.repeat(5000),
  ];
}

function randomValue(rand: () => number, sb: Sandbox, depth = 0): unknown {
  const r = rand();
  const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)];
  if (r < 0.15) return pick(dangerousPaths(sb));
  if (r < 0.25) return pick(INHERITED);
  if (r < 0.4) return pick([0, -1, 1, 2, 3, 0.5, 1e308, -1e308, 2 ** 31, Number.MAX_SAFE_INTEGER, 1e-320]);
  if (r < 0.5) return pick([null, true, false]);
  if (r < 0.6) return pick(['', 'x', 'lots', '2', 'NaN', 'Infinity', 'faceflow/pipeline', 'image-input', 'mtcnn', '💥', 'a.b -> c.d']);
  if (r < 0.7 && depth < 3) return Array.from({ length: Math.floor(rand() * 4) }, () => randomValue(rand, sb, depth + 1));
  if (r < 0.8 && depth < 3) return Object.fromEntries(Array.from({ length: Math.floor(rand() * 3) }, () => [pick([...INHERITED, 'node', 'port', 'x', 'id']), randomValue(rand, sb, depth + 1)]));
  return pick([[], {}, 'image', 'embeddings', 'detections']);
}

/** All [container, key] slots of a JSON value, for picking a random place to mutate. */
function slots(v: unknown, out: [Record<string, unknown> | unknown[], string | number][] = []) {
  if (Array.isArray(v)) v.forEach((x, i) => (out.push([v, i]), slots(x, out)));
  else if (v && typeof v === 'object') for (const k of Object.keys(v)) (out.push([v as Record<string, unknown>, k]), slots((v as Record<string, unknown>)[k], out));
  return out;
}

/** Case `i` of seed `seed`: a bundled preset with 0-4 mutations (0 in about 1 case of 10, the controls), as the text of a preset file. */
export function mutatePreset(sb: Sandbox, seed: number, i: number): { name: string; text: string; mutations: string[] } {
  const rand = mulberry32(seed * 7_919 + i);
  const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)];
  const base = pick(sb.bases);
  const doc = JSON.parse(JSON.stringify(base.doc)) as Record<string, any>;
  const mutations: string[] = [];
  const n = rand() < 0.1 ? 0 : 1 + Math.floor(rand() * 4); // a few unmutated controls
  for (let m = 0; m < n; m++) {
    const nodes: any[] = Array.isArray(doc.nodes) ? doc.nodes : [];
    const edges: any[] = Array.isArray(doc.edges) ? doc.edges : [];
    const kind = Math.floor(rand() * 12);
    const node = nodes.length ? pick(nodes) : undefined;
    switch (kind) {
      case 0: case 1: { // a file param pointing somewhere
        if (!node || typeof node !== 'object') break;
        const param = pick([...PRESET_READ_PARAMS]);
        node.params = node.params && typeof node.params === 'object' ? node.params : {};
        node.params[param] = pick(dangerousPaths(sb));
        mutations.push(`${node.id}.${param}=${String(node.params[param]).slice(0, 60)}`);
        break;
      }
      case 2: { // a port named after an inherited member
        const e = edges.length ? pick(edges) : undefined;
        if (!e || typeof e !== 'object') break;
        const end = pick(['from', 'to']);
        if (e[end] && typeof e[end] === 'object') e[end].port = pick(INHERITED);
        mutations.push(`edge ${end}.port inherited`);
        break;
      }
      case 3: { // a node id or type renamed
        if (!node || typeof node !== 'object') break;
        const f = pick(['id', 'type']);
        node[f] = pick([...INHERITED, 'nope', '', '1abc', pick([...registry.list().map((d) => d.type)])]);
        mutations.push(`node ${f}=${node[f]}`);
        break;
      }
      case 4: { // an edge between random nodes and ports
        const a = pick(nodes);
        const b = pick(nodes);
        edges.push({ from: { node: a?.id ?? 'x', port: pick(['image', 'detections', 'faces', 'embeddings', ...INHERITED]) }, to: { node: b?.id ?? 'y', port: pick(['image', 'faces', 'embeddings', 'gallery', ...INHERITED]) } });
        doc.edges = edges;
        mutations.push('edge added');
        break;
      }
      case 5: { // version games
        doc.version = pick([1, 3, 0, -1, '2', 2.5, null, 1e9]);
        if (doc.version === 1 && rand() < 0.5) doc.edges = edges.map((e: any) => `${e?.from?.node}.${pick(['image', ...INHERITED])} -> ${e?.to?.node}.${e?.to?.port}`);
        mutations.push(`version=${doc.version}`);
        break;
      }
      case 6: { // delete something
        const s = slots(doc);
        if (!s.length) break;
        const [c, k] = pick(s);
        if (Array.isArray(c)) c.splice(Number(k), 1);
        else delete c[k];
        mutations.push(`deleted ${String(k)}`);
        break;
      }
      case 7: case 8: { // retype something
        const s = slots(doc);
        if (!s.length) break;
        const [c, k] = pick(s);
        (c as any)[k] = randomValue(rand, sb);
        mutations.push(`set ${String(k)}`);
        break;
      }
      case 9: { // a param named after an inherited member, or an unknown one
        if (!node || typeof node !== 'object') break;
        node.params = { ...(node.params ?? {}), [pick([...INHERITED, 'clip', 'weightz'])]: randomValue(rand, sb) };
        mutations.push('odd param');
        break;
      }
      case 10: { // a cycle or a self edge
        if (edges.length) edges.push({ from: { ...pick(edges)?.to }, to: { ...pick(edges)?.from } });
        mutations.push('back edge');
        break;
      }
      default: { // a duplicated node
        if (node) nodes.push(JSON.parse(JSON.stringify(node)));
        mutations.push('duplicate node');
      }
    }
  }
  const text = n && rand() < 0.03 ? JSON.stringify(doc).slice(0, Math.floor(rand() * 200)) : JSON.stringify(doc, null, rand() < 0.5 ? 2 : undefined);
  return { name: base.name, text, mutations };
}

export type PresetOutcome = 'accepted' | 'rejected' | 'crash' | 'hang' | 'outside-read' | 'leak';

export interface PresetCaseResult {
  outcome: PresetOutcome;
  ms: number;
  message?: string;
  opened: string[];
}

/** Whether a real path lies under one of the allowed roots. */
function insideAny(real: string, roots: string[]): boolean {
  return roots.some((r) => real === r || real.startsWith(r.endsWith(path.sep) ? r : r + path.sep));
}

/**
 * One case through the CLI's public load path. Accepted: it compiled, its file references
 * passed the policy and every file it names loaded. Rejected: a UserError. Anything else
 * thrown is a crash; a case over `hangMs` is a hang; a file opened outside the roots, or the
 * secret marker in a message, is an outside read.
 */
export async function runPresetCase(sb: Sandbox, text: string, hangMs = 2000): Promise<PresetCaseResult> {
  const file = path.join(sb.presetDir, 'case.json');
  writeFileSync(file, text);
  const opened: string[] = [];
  const t0 = performance.now();
  let outcome: PresetOutcome = 'accepted';
  let message: string | undefined;
  let policy: FileAccessPolicy | undefined;
  const tensors = tf.memory().numTensors;
  try {
    const pipeline = await readPreset(file);
    const plan = compileOrExplain(pipeline, file, registry);
    if (validatePipeline(pipeline, registry).length) throw new Error('compiled an invalid pipeline');
    policy = await applyFilePolicy(file, pipeline, {});
    setFileAccessPolicy({ ...policy, onOpen: (p) => opened.push(p) });
    const io = createNodeIO();
    for (const step of plan.steps) {
      for (const name of PRESET_READ_PARAMS) {
        const ref = Object.hasOwn(step.params, name) ? step.params[name] : undefined;
        if (typeof ref !== 'string' || ref === '') continue;
        if (name === 'weights' || name === 'occlusionWeights') {
          const { weights } = await loadTrainedWeights(io, ref, () => undefined);
          tf.dispose(Object.values(weights));
        } else {
          await io.readFile(ref);
        }
      }
    }
  } catch (e) {
    message = e instanceof Error ? e.message : String(e);
    outcome = e instanceof UserError ? 'rejected' : 'crash';
    if (outcome === 'crash') message = `${(e as Error)?.name}: ${message}\n${(e as Error)?.stack?.split('\n').slice(1, 4).join('\n')}`;
  } finally {
    setFileAccessPolicy({});
  }
  const ms = performance.now() - t0;
  const roots = [realpathSync(sb.presetDir), realpathSync(path.join(ROOT, 'presets'))];
  if (opened.some((p) => !insideAny(p, roots)) || message?.includes(SECRET_MARKER) || message?.includes('root:x')) outcome = 'outside-read';
  else if (outcome !== 'crash' && ms > hangMs) outcome = 'hang';
  else if (outcome !== 'crash' && tf.memory().numTensors > tensors) outcome = 'leak';
  return { outcome, ms, message, opened };
}
