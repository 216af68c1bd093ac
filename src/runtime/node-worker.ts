import { parentPort } from 'node:worker_threads';
import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { createItemRunner } from './item-runner';
import { createNodeIO } from '../io/node-io';
import { nodeOutputCache } from './disk-cache-node';

if (!parentPort) throw new Error('node-worker.ts must run in a worker thread');
Comlink.expose(createItemRunner((opts) => createNodeIO(opts), nodeOutputCache()), nodeEndpoint(parentPort));
