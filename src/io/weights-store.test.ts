import { describe, expect, it } from 'vitest';
import { freeWeightsName } from './weights-store.js';

describe('saved weights names', () => {
  it('never reuses a taken name, deleted ones included (their keys stay taken)', () => {
    expect(freeWeightsName('g.gate', new Set())).toBe('g.gate');
    expect(freeWeightsName('g.gate', new Set(['g.gate']))).toBe('g.gate-2');
    expect(freeWeightsName('g.gate', new Set(['g.gate', 'g.gate-2', 'g.gate-3']))).toBe('g.gate-4');
  });
});
