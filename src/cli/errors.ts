import { GraphError } from '../graph/compile';
import { UserInputError } from '../io/node-io';

/** A mistake in what the user gave (arguments, files, presets): reported in one line, exit code 2, no stack. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export function isUserError(e: unknown): e is Error {
  return e instanceof UsageError || e instanceof UserInputError || e instanceof GraphError;
}
