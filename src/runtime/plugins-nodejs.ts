import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { NodeRegistry } from '../graph/registry.js';
import { addPlugins, PluginError } from './plugins.js';

/** A plugin named by a path (relative to the working directory) or a file: URL, as the URL to import. */
export function pluginUrl(spec: string): string {
  const file = spec.startsWith('file:') ? fileURLToPath(spec) : path.resolve(spec);
  if (!existsSync(file)) throw new PluginError(`plugin ${spec}: no such file (${file})`);
  if (!statSync(file).isFile()) throw new PluginError(`plugin ${spec}: not a file (give the module file, e.g. ${path.join(spec, 'index.js')})`);
  return pathToFileURL(file).href;
}

/** `base` plus the node types of the plugin modules named by `specs` (paths or file: URLs); errors name the spec as given. */
export function withPlugins(base: NodeRegistry, specs: readonly string[]): Promise<NodeRegistry> {
  return addPlugins(base, specs.map(pluginUrl), specs);
}
