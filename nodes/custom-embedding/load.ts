import * as tf from '@tensorflow/tfjs';
import type { HostIO } from '../../src/graph/node-definition.js';
import { UserError } from '../../src/graph/errors.js';
import { confineWeightsReads } from '../../src/io/file-policy.js';
import { concatBytes } from '../../src/util/bytes.js';
import { BackendKeyedCache, holdModelTensors, releaseModelTensors } from '../../src/models/held-tensors.js';
import { readTFLite } from '../../src/models/tflite/reader.js';
import { buildTFLiteGraph, checkTFLiteGraph } from './tflite-graph.js';

/**
 * A user's own embedding model, read through the host (and so through the file access policy):
 * a tfjs GraphModel or LayersModel (`model.json` with its `.bin` files beside it, the tfjs
 * convention for converted TF / Keras / ONNX models) or a float32 TFLite file (read by the
 * project's TFLite reader and run op by op). Loaded once per process, backend and file.
 */

export const MODEL_FORMATS = ['auto', 'graph', 'layers', 'tflite'] as const;
export type ModelFormat = (typeof MODEL_FORMATS)[number];

export interface LoadedModel {
  format: Exclude<ModelFormat, 'auto'>;
  /** The model's image input [batch, height, width, channels]; -1 or null where it is not fixed. */
  inputShape: (number | null)[];
  /** Output names the `output` param may pick (graph: node names; layers: output layer names; tflite: tensor names). */
  outputs: string[];
  /** Float input [n, h, w, 3] -> the named output (or the only one), inside the caller's tf.tidy. */
  run(x: tf.Tensor4D, output: string): tf.Tensor;
  dispose(): void;
}

interface ModelJson {
  format?: string;
  modelTopology?: Record<string, unknown>;
  weightsManifest?: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  signature?: unknown;
  userDefinedMetadata?: Record<string, {}>;
  modelInitializer?: unknown;
}

/** The format from the file name and, for JSON, the file's own `format` field or topology. */
export function detectFormat(file: string, json: ModelJson | undefined): Exclude<ModelFormat, 'auto'> {
  if (!json) return 'tflite';
  if (json.format === 'graph-model' || Array.isArray(json.modelTopology?.node)) return 'graph';
  if (json.format === 'layers-model' || json.modelTopology?.class_name || json.modelTopology?.model_config) return 'layers';
  throw new UserError(`${file}: not a tfjs model.json (no "format" of graph-model or layers-model, and no recognisable "modelTopology")`);
}

const isTFLiteName = (file: string) => /\.tflite([?#].*)?$/i.test(file);

function parseModelJson(bytes: Uint8Array, file: string): ModelJson {
  try {
    const j = JSON.parse(new TextDecoder().decode(bytes)) as unknown;
    if (j && typeof j === 'object' && !Array.isArray(j)) return j as ModelJson;
  } catch {
    /* reported below, without the file's contents */
  }
  throw new UserError(`${file}: not a tfjs model.json (not a JSON object)`);
}

/** model.json's weights: every group's files read (inside the manifest's folder only), joined in manifest order. */
async function readWeights(io: HostIO, file: string, json: ModelJson): Promise<{ specs: tf.io.WeightsManifestEntry[]; data: ArrayBuffer }> {
  const groups = json.weightsManifest ?? [];
  const dir = file.includes('/') ? file.slice(0, file.lastIndexOf('/') + 1) : '';
  const read = confineWeightsReads((f, kind) => io.readFile(f, kind), file);
  const chunks: Uint8Array[] = [];
  for (const g of groups) for (const p of g.paths) chunks.push(await read(dir + p));
  // a copy: the file's bytes may be a view into a larger buffer
  return { specs: groups.flatMap((g) => g.weights), data: concatBytes(chunks).slice().buffer };
}

function pickOutput<T>(values: T[], names: string[], output: string, file: string): T {
  if (!output) {
    if (values.length !== 1) throw new UserError(`${file}: the model has ${values.length} outputs (${names.join(', ')}); name the embedding with the "output" param`);
    return values[0];
  }
  const i = names.indexOf(output);
  if (i < 0) throw new UserError(`${file}: no output "${output}" (outputs: ${names.join(', ')})`);
  return values[i];
}

/**
 * Builds the model: the tensors it makes synchronously are counted as held model weights
 * (see src/models/held-tensors.ts); what it does after its first await must leave the count as it is.
 */
type Build = () => Promise<LoadedModel>;

async function prepareGraph(io: HostIO, file: string, json: ModelJson): Promise<Build> {
  const { specs, data } = await readWeights(io, file, json);
  const artifacts: tf.io.ModelArtifacts = {
    modelTopology: json.modelTopology, weightSpecs: specs, weightData: data, format: json.format,
    signature: json.signature as tf.io.ModelArtifacts['signature'], userDefinedMetadata: json.userDefinedMetadata,
    modelInitializer: json.modelInitializer as tf.io.ModelArtifacts['modelInitializer'],
  };
  return async () => {
    const model = new tf.GraphModel({ load: async () => artifacts });
    model.loadSync(artifacts);
    const outputs = model.outputNodes;
    return {
      format: 'graph', inputShape: model.inputs[0]?.shape ?? [], outputs,
      run: (x, output) => model.execute(x, pickOutput(outputs, outputs, output, file)) as tf.Tensor,
      dispose: () => model.dispose(),
    };
  };
}

async function prepareLayers(io: HostIO, file: string, json: ModelJson): Promise<Build> {
  const { specs, data } = await readWeights(io, file, json);
  return async () => {
    // Given no weights manifest, modelFromJSON builds the model (and its weight variables)
    // before it first awaits; the weights are then set in place, which keeps the tensor count.
    let model: tf.LayersModel;
    try {
      model = await tf.models.modelFromJSON({ modelTopology: json.modelTopology! } as tf.io.ModelJSON);
    } catch (e) {
      throw new UserError(`${file}: not a LayersModel the tfjs layers API can build (${(e as Error).message})`);
    }
    const named = tf.io.decodeWeights(data, specs);
    try {
      const missing = model.weights.find((w) => !named[w.originalName]);
      if (missing) throw new UserError(`${file}: the weights files have no "${missing.originalName}"`);
      model.loadWeights(Object.fromEntries(model.weights.map((w) => [w.originalName, named[w.originalName]])));
    } finally {
      tf.dispose(Object.values(named));
    }
    const outputs = model.outputNames;
    return {
      format: 'layers', inputShape: model.inputs[0].shape, outputs,
      run: (x, output) => {
        const y = model.predict(x);
        return pickOutput(Array.isArray(y) ? y : [y], outputs, output, file);
      },
      dispose: () => model.dispose(),
    };
  };
}

async function prepareTFLite(io: HostIO, file: string): Promise<Build> {
  const parsed = readTFLite(await io.readFile(file, 'model'), file);
  checkTFLiteGraph(parsed, file);
  return async () => {
    const g = buildTFLiteGraph(parsed);
    return {
      format: 'tflite', inputShape: g.inputShape, outputs: g.outputs,
      run: (x, output) => g.forward(x, pickOutput(g.outputs, g.outputs, output, file)),
      dispose: () => g.dispose(),
    };
  };
}

const cache = new BackendKeyedCache<{ value: LoadedModel; count: number }>();

/** Read and build the model once per process, backend and file (and format). Errors name the file. */
export async function loadCustomModel(io: HostIO, file: string, format: ModelFormat): Promise<LoadedModel> {
  if (!file) throw new UserError('no model: set the "model" param to a model.json (tfjs graph or layers model) or a .tflite file');
  const entry = await cache.get(`${format}|${file}`, async () => {
    let kind = format === 'auto' ? undefined : format;
    let json: ModelJson | undefined;
    if (kind !== 'tflite' && !(kind === undefined && isTFLiteName(file))) {
      json = parseModelJson(await io.readFile(file, 'weights'), file);
      kind = kind ?? detectFormat(file, json);
    }
    const build = kind === 'graph' ? await prepareGraph(io, file, json!) : kind === 'layers' ? await prepareLayers(io, file, json!) : await prepareTFLite(io, file);
    const held = holdModelTensors(build);
    return { value: await held.value, count: held.count };
  });
  return entry.value;
}

/** Free every loaded model (tests). */
export async function disposeCustomModels(): Promise<void> {
  for (const e of cache.takeAll()) {
    const loaded = await e.catch(() => undefined);
    if (!loaded) continue;
    loaded.value.dispose();
    releaseModelTensors(loaded.count);
  }
}
