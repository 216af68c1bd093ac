// worker_threads entry: load the TypeScript worker through tsx (hooks are not inherited by workers).
import { register } from 'tsx/esm/api';

register();
await import('./thread-worker.ts');
