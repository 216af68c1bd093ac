import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { baseImages, bombs, corruptImage } from './images.js';

/**
 * Writes the image fuzz cases to a folder for a reader that cannot run the generator (the
 * browser test: the generator needs node:zlib): the seeds, the bombs and `count` corrupted
 * images, numbered files plus manifest.json with each case's name and expectation.
 *   node --import tsx test/fuzz/write-image-corpus.ts <dir> [count=100] [seed=7]
 */
const [dir, count = '100', seed = '7'] = process.argv.slice(2);
if (!dir) throw new Error('usage: write-image-corpus.ts <dir> [count] [seed]');
mkdirSync(dir, { recursive: true });
const base = baseImages(1);
const cases = [...base, ...bombs(), ...Array.from({ length: Number(count) }, (_, i) => corruptImage(base, Number(seed), i))];
const manifest = cases.map((c, i) => {
  const file = `case-${String(i).padStart(4, '0')}.bin`;
  writeFileSync(path.join(dir, file), c.bytes);
  return { file, name: c.name, expect: c.expect, bytes: c.bytes.length };
});
writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
