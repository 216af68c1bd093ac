import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/runtime/backend.js';
import { makeSandbox, mutatePreset, runPresetCase, type PresetCaseResult, type Sandbox } from './presets.js';

/**
 * 500 seeded preset mutations through the public load/validate/compile path and the loaders
 * (`npm run bench -- fuzz` runs 10,000). Properties: only the project's user-error type, no case
 * over 2 s, no file opened outside the allowed folders, no secret in any message, no tensor left.
 */
const CASES = 500;
const SEED = 12;
let sb: Sandbox;

beforeAll(async () => {
  await initBackend('cpu');
  sb = makeSandbox();
});
afterAll(() => sb?.cleanup());

describe('preset fuzz', () => {
  it(`${CASES} mutated presets: accepted or rejected cleanly, none crashes, hangs or reads outside its folders`, async () => {
    const bad: (PresetCaseResult & { i: number; mutations: string[] })[] = [];
    const counts: Record<string, number> = {};
    let opened = 0;
    for (let i = 0; i < CASES; i++) {
      const c = mutatePreset(sb, SEED, i);
      const r = await runPresetCase(sb, c.text);
      counts[r.outcome] = (counts[r.outcome] ?? 0) + 1;
      opened += r.opened.length;
      if (r.outcome !== 'accepted' && r.outcome !== 'rejected') bad.push({ ...r, i, mutations: c.mutations });
    }
    expect(bad.map((b) => `#${b.i} ${b.outcome} [${b.mutations.join('; ')}] ${b.message}`)).toEqual([]);
    // the mutations must actually exercise both sides, and the loaders must really read files
    expect(counts.rejected).toBeGreaterThan(CASES / 2);
    expect(counts.accepted).toBeGreaterThan(10);
    expect(opened).toBeGreaterThan(10);
  });
});
