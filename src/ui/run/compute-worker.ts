// The lab's compute worker entry: the runtime's worker API over the bundled node types.
import * as Comlink from 'comlink';
import { registry } from '../../../nodes';
import { createLabWorker } from '../../runtime/browser-worker';

Comlink.expose(createLabWorker(registry));
