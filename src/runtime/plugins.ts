import { UserError } from '../graph/errors.js';
import { NODE_CATEGORIES, type AnyNodeDefinition } from '../graph/node-definition.js';
import { isPortType } from '../graph/ports.js';
import { NodeRegistry } from '../graph/registry.js';

/**
 * Plugins: ES modules that export node definitions (`faceflow run --plugin ./my-node.js`, the
 * library's loadRegistry). They are loaded by URL, so a worker thread loads the same modules and
 * rebuilds the same registry (NodeRegistry.moduleUrl + plugins). No Node imports here: path
 * handling is in plugins-nodejs.ts.
 */

/** A bad plugin: reported in one line naming the plugin and what is wrong. */
export class PluginError extends UserError {
  constructor(message: string) {
    super(message);
    this.name = 'PluginError';
  }
}

function isDefinition(v: unknown): v is AnyNodeDefinition {
  return !!v && typeof v === 'object' && typeof (v as { type?: unknown }).type === 'string' && typeof (v as { kernel?: unknown }).kernel === 'function';
}

/**
 * The node definitions a plugin module exports: each named export and the default export that
 * is a definition (what defineNode returns) or an array of them; one exported twice counts once.
 */
export function pluginDefinitions(exports: Record<string, unknown>): AnyNodeDefinition[] {
  const found = new Set<AnyNodeDefinition>();
  for (const value of Object.values(exports)) {
    for (const v of Array.isArray(value) ? value : [value]) if (isDefinition(v)) found.add(v);
  }
  return [...found];
}

/** What is wrong with a definition the engine would trip over later, or undefined. */
function definitionProblem(def: AnyNodeDefinition): string | undefined {
  if (!/^[a-z][a-z0-9-]*$/.test(def.type)) return 'the type must be lower-case letters, digits and dashes, starting with a letter';
  if (def.mode !== 'item' && def.mode !== 'aggregate') return `mode must be "item" or "aggregate" (found ${JSON.stringify(def.mode)})`;
  if (!(NODE_CATEGORIES as readonly string[]).includes(def.category)) return `category must be one of ${NODE_CATEGORIES.join(', ')} (found ${JSON.stringify(def.category)})`;
  for (const side of ['inputs', 'outputs'] as const) {
    if (!def[side] || typeof def[side] !== 'object') return `${side} must be an object of ports`;
    for (const [port, spec] of Object.entries(def[side])) {
      if (!isPortType(spec?.type)) return `${side}.${port}: unknown port type ${JSON.stringify(spec?.type)}`;
    }
  }
  if (typeof def.params?.safeParse !== 'function' || !def.params.shape) return 'params must be a zod object (z.object({...}))';
  if (!def.params.safeParse({}).success) return 'every param needs a default (params.parse({}) fails)';
  return undefined;
}

/**
 * `base` plus the node types of the plugin modules at `urls` (file: URLs, loaded in order);
 * `names` are what messages call them (the paths as the user gave them). A module that does not
 * load, exports no definitions, a malformed definition or a type already registered (built-in
 * or by another plugin) is a PluginError.
 */
export async function addPlugins(base: NodeRegistry, urls: readonly string[], names: readonly string[] = urls): Promise<NodeRegistry> {
  if (!urls.length) return base;
  const defs = base.list();
  const owner = new Map(defs.map((d) => [d.type, base.plugins.length ? 'already registered' : 'a built-in node type']));
  for (const [i, url] of urls.entries()) {
    const name = names[i] ?? url;
    let exports: Record<string, unknown>;
    try {
      exports = (await import(/* @vite-ignore */ url)) as Record<string, unknown>;
    } catch (e) {
      throw new PluginError(`plugin ${name}: cannot load it: ${(e as Error).message.replace(/\s*\n\s*/g, ' ')}`);
    }
    const found = pluginDefinitions(exports);
    if (!found.length) throw new PluginError(`plugin ${name}: exports no node definitions (export what defineNode returns, named or as the default export, alone or in an array)`);
    for (const def of found) {
      const problem = definitionProblem(def);
      if (problem) throw new PluginError(`plugin ${name}: node "${def.type}": ${problem}`);
      const clash = owner.get(def.type);
      if (clash) throw new PluginError(`plugin ${name}: node type "${def.type}" is ${clash}`);
      owner.set(def.type, `already defined by plugin ${name}`);
      defs.push(def);
    }
  }
  return new NodeRegistry(defs, base.moduleUrl, [...base.plugins, ...urls]);
}

/** In a worker thread: the registry exported by `moduleUrl`, plus the plugins the parent loaded. */
export async function rebuildRegistry(moduleUrl: string, plugins: readonly string[]): Promise<NodeRegistry> {
  const { registry } = (await import(/* @vite-ignore */ moduleUrl)) as { registry: NodeRegistry };
  return addPlugins(registry, plugins);
}
