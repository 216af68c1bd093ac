// The lab's compute worker entry: the runtime's worker API over the bundled node types, with a
// pool of item workers for dataset runs (item-pool.ts).
import * as Comlink from 'comlink';
import { registry } from '../../../nodes/index.js';
import { createLabWorker } from '../../runtime/browser-worker.js';
import { LabItemPool } from './item-pool.js';

Comlink.expose(createLabWorker(registry, { startDatasetPool: LabItemPool.start }));
