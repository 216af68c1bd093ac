import type { AnyNodeDefinition } from './node-definition.js';
import { migrationStepsProblem } from './param-migrations.js';

/** Node types by name. The engine only ever looks types up here; it never switches over kinds. */
export class NodeRegistry {
  private readonly byType = new Map<string, AnyNodeDefinition>();

  /**
   * How worker threads rebuild this registry: `moduleUrl`, the module that exports the base
   * registry as `registry` (its import.meta.url), plus `plugins`, the URLs of the modules whose
   * exported node definitions were added to it (src/runtime/plugins.ts).
   */
  constructor(definitions: readonly AnyNodeDefinition[], readonly moduleUrl?: string, readonly plugins: readonly string[] = []) {
    for (const def of definitions) {
      if (this.byType.has(def.type)) throw new Error(`node registry: duplicate node type "${def.type}"`);
      const problem = migrationStepsProblem(def);
      if (problem) throw new Error(`node registry: "${def.type}": ${problem}`);
      this.byType.set(def.type, def);
    }
  }

  get(type: string): AnyNodeDefinition | undefined {
    return this.byType.get(type);
  }

  list(): AnyNodeDefinition[] {
    return [...this.byType.values()];
  }

  /** Defaults for a node type's params (every param has one). */
  defaultParams(type: string): Record<string, unknown> {
    const def = this.byType.get(type);
    if (!def) throw new Error(`unknown node type "${type}"`);
    return def.params.parse({}) as Record<string, unknown>;
  }
}
