// `npm run test:browser`: the lab in headless Chromium. Prints "N passed, N failed"; exits 1 on a failure.
import fs from 'node:fs';
import { ARTIFACTS, launchBrowser, runTests, startServer } from './harness.mjs';
import { a11yTests } from './a11y.tests.mjs';
import { tests as labTests } from './lab.tests.mjs';
import { workflowTests } from './workflow.tests.mjs';
import { detectorTests } from './detectors.tests.mjs';
import { reliabilityTests } from './reliability.tests.mjs';
import { ownBackboneTests } from './own-backbone.tests.mjs';
import { datasetPoolTests } from './dataset-pool.tests.mjs';

// The accessibility tests run after the lab's, before the last check for console errors.
const last = labTests.filter((t) => t.name === 'no console errors');
const tests = [...labTests.filter((t) => !last.includes(t)), ...workflowTests, ...detectorTests, ...reliabilityTests, ...ownBackboneTests, ...datasetPoolTests, ...a11yTests, ...last];

fs.mkdirSync(ARTIFACTS, { recursive: true });
const server = await startServer();
const { url } = server;
const { context, userDataDir } = await launchBrowser();
const page = context.pages()[0] ?? (await context.newPage());
const consoleErrors = [];
page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
page.on('pageerror', (e) => consoleErrors.push(`uncaught: ${e.message}`));
if (process.env.DEBUG_CONSOLE) page.on('console', (m) => console.log(`       [${m.type()}] ${m.text().slice(0, 300)}`));
page.setDefaultTimeout(60_000);

let result = { passed: 0, failed: 1 };
try {
  console.log(`browser tests against ${url}`);
  // Optional filter: `npm run test:browser -- <regex>` runs only the matching tests (in order).
  const only = process.argv[2] ? new RegExp(process.argv[2], 'i') : undefined;
  result = await runTests(only ? tests.filter((t) => only.test(t.name)) : tests, { page, url, context, consoleErrors });
} finally {
  await context.close();
  await server.close();
  fs.rmSync(userDataDir, { recursive: true, force: true });
}
console.log(`${result.passed} passed, ${result.failed} failed`);
process.exit(result.failed ? 1 : 0);
