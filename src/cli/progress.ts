/** A one-line progress bar on a TTY stderr; silent otherwise (logs and CI stay clean). */
export function progressBar(label: string): (done: number, total: number) => void {
  if (!process.stderr.isTTY) return () => {};
  const t0 = performance.now();
  return (done, total) => {
    const width = 30;
    const filled = total ? Math.round((done / total) * width) : width;
    const rate = done / ((performance.now() - t0) / 1000);
    process.stderr.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${rate.toFixed(1)}/s`);
    if (done >= total) process.stderr.write('\n');
  };
}
