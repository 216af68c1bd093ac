import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/graph/errors.js';
import { decodeImageNode } from '../../src/io/nodejs-io.js';
import { baseImages, bombs, corruptImage, type ImageCase } from './images.js';

/**
 * Valid, odd and corrupt images through the Node decoder (`npm run bench -- fuzz` runs 1,000):
 * every case decodes or fails with the project's user-error type naming the file, none takes
 * over 2 s, and memory stays bounded (bombs are refused from their header).
 */
function decode(c: ImageCase): { ok: boolean; error?: unknown; ms: number } {
  const t0 = performance.now();
  try {
    const img = decodeImageNode(c.bytes, c.name);
    if (img.data.length !== img.width * img.height * img.channels) throw new Error('decoded data does not match its size');
    return { ok: true, ms: performance.now() - t0 };
  } catch (error) {
    return { ok: false, error, ms: performance.now() - t0 };
  }
}

describe('image fuzz', () => {
  it('the seeds: valid images decode, invalid ones and bombs fail cleanly', () => {
    for (const c of [...baseImages(1), ...bombs()]) {
      const r = decode(c);
      if (c.expect === 'valid') expect(r.ok, `${c.name}: ${(r.error as Error)?.message}`).toBe(true);
      if (c.expect === 'invalid') expect(r.ok, c.name).toBe(false);
      if (!r.ok) {
        expect(r.error, c.name).toBeInstanceOf(UserError);
        expect((r.error as Error).message.startsWith(`${c.name}: `)).toBe(true);
      }
      expect(r.ms, c.name).toBeLessThan(2000);
    }
  });

  it('300 corrupted images: decoded or refused with a user error, none over 2 s, RSS bounded', () => {
    const base = baseImages(1);
    const rss0 = process.memoryUsage().rss;
    let peak = rss0;
    const bad: string[] = [];
    let refused = 0;
    for (let i = 0; i < 300; i++) {
      const c = corruptImage(base, 7, i);
      const r = decode(c);
      if (!r.ok) {
        refused++;
        if (!(r.error instanceof UserError)) bad.push(`${c.name}: crash ${(r.error as Error)?.name}: ${(r.error as Error)?.message}`);
      }
      if (r.ms > 2000) bad.push(`${c.name}: ${r.ms.toFixed(0)} ms`);
      peak = Math.max(peak, process.memoryUsage().rss);
    }
    expect(bad).toEqual([]);
    expect(refused).toBeGreaterThan(50);
    expect(peak - rss0).toBeLessThan(1024 * 1024 * 1024);
  });
});
