import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** /proc/<pid>/status fields in KB: VmRSS (now) and VmHWM (the peak so far); zeros once it has exited. */
export function rssOf(pid: number): { rssKB: number; peakKB: number } {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    return { rssKB: Number(/VmRSS:\s+(\d+)/.exec(s)?.[1] ?? 0), peakKB: Number(/VmHWM:\s+(\d+)/.exec(s)?.[1] ?? 0) };
  } catch {
    return { rssKB: 0, peakKB: 0 };
  }
}

/**
 * Run a command and sample its VmHWM (peak resident set) from /proc until it exits; each line
 * it writes to stderr goes to `onLine` with the process id (to read its RSS at that moment).
 */
export function peakRssOf(cmd: string, args: string[], onLine?: (line: string, pid: number) => void): Promise<{ code: number | null; peakKB: number; seconds: number; stderr: string }> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let peakKB = 0;
    let stderr = '';
    let pending = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-20000);
      const lines = (pending + chunk).split('\n');
      pending = lines.pop()!;
      for (const l of lines) onLine?.(l, child.pid!);
    });
    const sample = () => (peakKB = Math.max(peakKB, rssOf(child.pid!).peakKB));
    const timer = setInterval(sample, 50);
    child.on('exit', (code) => {
      clearInterval(timer);
      resolve({ code, peakKB, seconds: (performance.now() - t0) / 1000, stderr });
    });
  });
}
