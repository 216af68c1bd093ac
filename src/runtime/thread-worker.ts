import { parentPort, workerData } from 'node:worker_threads';
import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { createItemRunner } from './item-runner.js';
import { createNodeIO, setMaxImagePixels } from '../io/nodejs-io.js';
import { setFileAccessPolicy } from '../io/file-policy-nodejs.js';
import { nodeOutputCache } from './disk-cache-nodejs.js';

if (!parentPort) throw new Error('thread-worker.ts must run in a worker thread');
// the parent's file access policy and pixel cap (src/runtime/pool.ts)
if (workerData?.fileAccess) setFileAccessPolicy(workerData.fileAccess);
if (workerData?.maxPixels) setMaxImagePixels(workerData.maxPixels);
Comlink.expose(createItemRunner((opts) => createNodeIO(opts), nodeOutputCache), nodeEndpoint(parentPort));
