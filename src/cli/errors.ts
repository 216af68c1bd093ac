import { UserError } from '../graph/errors.js';
import { NodeError } from '../runtime/executor.js';

/** A mistake in what the user gave (arguments, files, presets): reported in one line, exit code 2, no stack. */
export class UsageError extends UserError {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * Errors reported as the user's (one line, exit code 2): the project's UserError (bad files,
 * presets, arguments, images, refused reads) and a node that failed on what it was given
 * (NodeError not caused by a bug in the code, e.g. an aggregate node with a malformed pairs file).
 */
export function isUserError(e: unknown): e is Error {
  return e instanceof UserError || (e instanceof NodeError && !e.internal);
}
