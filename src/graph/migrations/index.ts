import { v1ToV2 } from './v1-to-v2.js';
import { v2ToV3 } from './v2-to-v3.js';

export interface Migration {
  from: number;
  to: number;
  migrate(doc: Record<string, unknown>): Record<string, unknown>;
}

/** Every step from version 1 to the current one, in order, with no gaps (checked by a test). */
export const MIGRATIONS: readonly Migration[] = [v1ToV2, v2ToV3];
