import { readFileSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../util/package-root.js';
import { HelpShown } from './args.js';
import { isUserError } from './errors.js';
import { runCommand, runHelp } from './commands/run.js';
import { detectCommand, detectHelp } from './commands/detect.js';
import { evalCommand, evalHelp } from './commands/eval.js';
import { enrollCommand, enrollHelp } from './commands/enroll.js';
import { identifyCommand, identifyHelp } from './commands/identify.js';
import { trainCommand, trainHelp } from './commands/train.js';
import { embedCommand, embedHelp } from './commands/embed.js';
import { mergeCommand, mergeHelp } from './commands/merge.js';
import { calibrateCommand, calibrateHelp } from './commands/calibrate.js';
import { nodesCommand, nodesHelp } from './commands/nodes.js';
import { splitCommand, splitHelp } from './commands/split.js';

const COMMANDS: Record<string, { help: string; run: (argv: string[]) => Promise<number> }> = {
  run: { help: runHelp, run: runCommand },
  detect: { help: detectHelp, run: detectCommand },
  eval: { help: evalHelp, run: evalCommand },
  enroll: { help: enrollHelp, run: enrollCommand },
  identify: { help: identifyHelp, run: identifyCommand },
  train: { help: trainHelp, run: trainCommand },
  embed: { help: embedHelp, run: embedCommand },
  merge: { help: mergeHelp, run: mergeCommand },
  calibrate: { help: calibrateHelp, run: calibrateCommand },
  nodes: { help: nodesHelp, run: nodesCommand },
  split: { help: splitHelp, run: splitCommand },
};

const USAGE = `faceflow <command> [options]

Commands:
${Object.values(COMMANDS).map((c) => `  ${c.help.split('\n')[0]}`).join('\n')}

Run \`faceflow <command> --help\` for a command's options; \`faceflow --version\` prints the version.`;

/** The package's version (package.json). */
export function version(): string {
  return (JSON.parse(readFileSync(path.join(packageRoot(import.meta.url), 'package.json'), 'utf8')) as { version: string }).version;
}

/** The CLI entry: returns the exit code (0 ok, 1 internal error, 2 user error; 130/143 when stopped by SIGINT/SIGTERM, see signals.ts). */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h') {
    process.stdout.write(`${USAGE}\n`);
    return name ? 0 : 2;
  }
  if (name === '--version' || name === '-V') {
    process.stdout.write(`faceflow ${version()}\n`);
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`faceflow: unknown command "${name}" (commands: ${Object.keys(COMMANDS).join(', ')})\n`);
    return 2;
  }
  try {
    return await command.run(rest);
  } catch (e) {
    if (e instanceof HelpShown) return 0;
    if (isUserError(e)) {
      process.stderr.write(`faceflow: ${oneLine(e.message)}\n`);
      return 2;
    }
    process.stderr.write(`faceflow: internal error: ${(e as Error).message}\n`);
    if (process.env.FACEFLOW_DEBUG) process.stderr.write(`${(e as Error).stack}\n`);
    return 1;
  }
}

/** A user error is reported in one line. */
function oneLine(message: string): string {
  return message.replace(/\s*\n\s*/g, ' ').trim();
}
