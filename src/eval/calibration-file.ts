import { UserError } from '../graph/errors.js';
import { FileAccessError } from '../io/file-policy.js';
import { readFileWithPolicy } from '../io/file-policy-nodejs.js';
import { parseCalibration, type CalibrationFile } from './calibration.js';

/** Node-only: read and check a calibration file named by the user (one-line UserError when missing or malformed). */
export async function loadCalibrationFile(file: string): Promise<CalibrationFile> {
  let text: string;
  try {
    text = new TextDecoder().decode(await readFileWithPolicy(file, 'other', { roots: undefined }));
  } catch (e) {
    if (e instanceof FileAccessError && e.rule === 'missing') throw new UserError(`${file}: cannot read the calibration file (ENOENT)`);
    throw e;
  }
  return parseCalibration(text, file);
}
