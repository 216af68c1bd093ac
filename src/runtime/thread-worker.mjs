// worker_threads entry: load the TypeScript worker through tsx (hooks are not inherited by workers),
// the npm packages first, without tsx's hooks (packages.mjs says why).
import { register } from 'tsx/esm/api';
import { importPackages, RUNTIME_PACKAGES } from './packages.mjs';

await importPackages(RUNTIME_PACKAGES);
register();
await import('./thread-worker.ts');
