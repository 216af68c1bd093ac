import { v1ToV2 } from './v1-to-v2';

export interface Migration {
  from: number;
  to: number;
  migrate(doc: Record<string, unknown>): Record<string, unknown>;
}

/** Every step from version 1 to the current one, in order, with no gaps (checked by a test). */
export const MIGRATIONS: readonly Migration[] = [v1ToV2];
