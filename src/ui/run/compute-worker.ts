// The lab's compute worker entry: the runtime's worker API over the bundled node types.
import * as Comlink from 'comlink';
import { registry } from '../../../nodes/index.js';
import { createLabWorker } from '../../runtime/browser-worker.js';

Comlink.expose(createLabWorker(registry));
