// Minimal browser-test harness: a Vite dev server on a free port, one headless Chromium
// (playwright-core driving Debian's /usr/bin/chromium), tests run in order, screenshots saved.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { build, createServer, preview } from 'vite';

export const ARTIFACTS = path.resolve('test-artifacts');

async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Vite's dev server over the whole checkout (no HMR, no file watching): it also serves test pages such as test/browser/pages/. */
export async function startDevServer(port) {
  port ??= await freePort();
  const server = await createServer({
    logLevel: 'warn',
    server: { port, strictPort: true, host: '127.0.0.1', open: false, hmr: false, watch: { ignored: ['**/*'] } },
  });
  await server.listen();
  return { url: `http://127.0.0.1:${port}/`, close: () => server.close() };
}

/**
 * The app under test: by default a production build (`vite build` into a temp folder, served by
 * `vite preview`), which is what ships and is immune to others editing the checkout; with
 * FACEFLOW_TEST_SERVER=dev, the dev server that `npm start` runs (no HMR, no file watching).
 */
export async function startServer() {
  if (process.env.FACEFLOW_TEST_SERVER === 'dev') return startDevServer();
  const outDir = await buildApp();
  const server = await previewApp(outDir);
  return {
    url: server.url,
    close: async () => {
      await server.close();
      fs.rmSync(outDir, { recursive: true, force: true });
    },
  };
}

/** `vite build` into a new temp folder; returns the folder. */
export async function buildApp() {
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'faceflow-dist-'));
  await build({ logLevel: 'warn', build: { outDir, emptyOutDir: true, chunkSizeWarningLimit: 4096, rolldownOptions: { checks: { pluginTimings: false } } } });
  return outDir;
}

/** `vite preview` of a built folder on a free port (vite.config.ts is read again, so FACEFLOW_NO_COI as set now applies). */
export async function previewApp(outDir) {
  const port = await freePort();
  const server = await preview({ logLevel: 'warn', build: { outDir }, preview: { port, strictPort: true, host: '127.0.0.1', open: false } });
  return { url: `http://127.0.0.1:${port}/`, close: () => server.close() };
}

/** Chromium with WebGPU allowed (SwiftShader here): the webgpu test needs it, the auto backend choice skips it. */
export async function launchBrowser() {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'faceflow-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1440, height: 900 },
    acceptDownloads: true,
    args: ['--no-sandbox', '--enable-unsafe-webgpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  // Non-HTML pages (the tests clear storage from one) make Chromium ask for /favicon.ico; the app has none.
  await context.route('**/favicon.ico', (route) => route.fulfill({ status: 204, body: '' }));
  return { context, userDataDir };
}

export class AssertionError extends Error {}
export function assert(cond, message) {
  if (!cond) throw new AssertionError(message);
}

/** Run tests in order; a failure is reported and the next test still runs. */
export async function runTests(tests, ctx) {
  let passed = 0;
  let failed = 0;
  for (const t of tests) {
    const t0 = Date.now();
    try {
      await t.run(ctx);
      passed++;
      console.log(`  ok   ${t.name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    } catch (e) {
      failed++;
      console.log(`  FAIL ${t.name}: ${e instanceof AssertionError ? e.message : e.stack ?? e}`);
      await ctx.page.screenshot({ path: path.join(ARTIFACTS, `fail-${t.name.replace(/\W+/g, '-')}.png`) }).catch(() => undefined);
    }
  }
  return { passed, failed };
}
