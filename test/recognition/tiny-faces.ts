import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { alignFaces, alignParams } from '../../nodes/align/index.js';
import type { DetectionsValue } from '../../src/graph/values.js';
import { createNodeIO, encodePngNode, resolvePackageAsset } from '../../src/io/nodejs-io.js';
import { detectFaces, loadMtcnn } from '../../src/models/mtcnn/index.js';
import { initBackend } from '../../src/runtime/backend.js';

/**
 * A tiny folder-of-identities set from face-api's demo photos (real faces): each detected
 * face becomes `Person_A`, `Person_B`, ... with two images, a loose 128 px crop
 * (`<id>_0001.png`) and a tighter mirrored 120 px one (`<id>_0002.png`): same person, other pixels.
 */
export async function writeTinyFaceSet(dir: string, count: number): Promise<string[]> {
  await initBackend('wasm');
  const io = createNodeIO();
  const nets = await loadMtcnn(io);
  const identities: string[] = [];
  for (let n = 1; n <= 6 && identities.length < count; n++) {
    const img = await io.decodeImage(await io.readFile(resolvePackageAsset(`@vladmandic/face-api/demo/sample${n}.jpg`)), `sample${n}.jpg`);
    for (const f of (await detectFaces(nets, img)).faces) {
      if (identities.length >= count) break;
      const id = `Person_${String.fromCharCode(65 + identities.length)}`;
      identities.push(id);
      const det: DetectionsValue = { imageWidth: img.width, imageHeight: img.height, boxes: [f.box], scores: [f.score], landmarks: [f.landmarks] };
      const loose = alignFaces(img, det, alignParams.parse({ size: 128 }));
      const tight = alignFaces(img, det, alignParams.parse({ size: 120 }));
      const mirrored = new Uint8Array(tight.data.length);
      for (let y = 0; y < 120; y++) for (let x = 0; x < 120; x++) for (let k = 0; k < 3; k++) mirrored[(y * 120 + x) * 3 + k] = tight.data[(y * 120 + 119 - x) * 3 + k];
      await mkdir(path.join(dir, id), { recursive: true });
      await writeFile(path.join(dir, id, `${id}_0001.png`), encodePngNode({ width: 128, height: 128, channels: 3, data: loose.data }));
      await writeFile(path.join(dir, id, `${id}_0002.png`), encodePngNode({ width: 120, height: 120, channels: 3, data: mirrored }));
    }
  }
  if (identities.length < count) throw new Error(`only ${identities.length} faces in face-api's demo photos`);
  return identities;
}
