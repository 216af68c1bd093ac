import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';

/**
 * `npx faceflow` runs the CLI as `npm exec` -> `sh -c faceflow ...` -> node. npm forwards a
 * SIGINT or SIGTERM sent to it (by a supervisor, `timeout`, `kill <pid>`) to the shell, but the
 * shell waits for its child and never passes the signal on, so the run would go on to the end.
 * The waiting shell sleeps and only a signal wakes it: a small worker thread (so that a long
 * kernel on the main thread cannot delay it) watches the shell's count of voluntary context
 * switches, and when it moves while we still run, sends SIGTERM to this process, which ends it
 * at once. Linux only, and only when started by npm from a shell.
 */
export function watchNpmShell(): void {
  if (process.platform !== 'linux' || !process.env.npm_command) return;
  const ppid = process.ppid;
  let comm: string;
  try {
    comm = readFileSync(`/proc/${ppid}/comm`, 'utf8').trim();
  } catch {
    return;
  }
  if (!['sh', 'dash', 'bash', 'zsh'].includes(comm)) return;
  const code = `
    const { readFileSync } = require('node:fs');
    const { workerData } = require('node:worker_threads');
    const read = () => { try { return Number(/^voluntary_ctxt_switches:\\s+(\\d+)/m.exec(readFileSync('/proc/' + workerData.ppid + '/status', 'utf8'))[1]); } catch { return NaN; } };
    let last = read();
    setInterval(() => {
      const now = read();
      if (now !== last) process.kill(workerData.pid, 'SIGTERM');
      last = now;
    }, 100);
  `;
  const worker = new Worker(code, { eval: true, workerData: { ppid, pid: process.pid } });
  worker.unref();
}
