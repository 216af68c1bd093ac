import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hashBytes, hashKey, sha256 } from '../../src/util/hash.js';

describe('128-bit cache keys', () => {
  it('sha256 agrees with node:crypto on lengths around the block boundaries and on UTF-8 text', () => {
    for (const n of [0, 1, 55, 56, 63, 64, 65, 119, 120, 1000, 70_000]) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 131 + n) & 255);
      expect(Buffer.from(sha256(bytes)).toString('hex'), `length ${n}`).toBe(createHash('sha256').update(bytes).digest('hex'));
    }
    const text = 'mobilefacenet|{"flip":true}|faces=3f.faces|item:/data/Zoë/東京_0001.jpg:1234:5';
    expect(hashKey(text)).toBe(createHash('sha256').update(text, 'utf8').digest('hex').slice(0, 32));
  });

  it('keys are 128 bits, and one changed character or byte changes them', () => {
    expect(hashKey('a')).toMatch(/^[0-9a-f]{32}$/);
    expect(hashKey('a')).not.toBe(hashKey('b'));
    expect(hashBytes(new Uint8Array([1, 2, 3]))).toMatch(/^[0-9a-f]{32}$/);
    expect(hashBytes(new Uint8Array([1, 2, 3]))).not.toBe(hashBytes(new Uint8Array([1, 2, 4])));
    // no collision among 200,000 distinct short keys (about 10 µs a key)
    const seen = new Set<string>();
    for (let i = 0; i < 200_000; i++) seen.add(hashKey(`item:${i}`));
    expect(seen.size).toBe(200_000);
  });
});
