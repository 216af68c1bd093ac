// Layer rules (docs: architecture): the core never imports the faces (CLI, UI), nets know nothing of
// training, the runtime is handed a node registry and node kernels never reach into the runtime.
// `npm test` runs `depcruise src nodes`; tests (*.test.ts) may cross layers to set things up.
const CORE = '^src/(graph|runtime|models|eval|train|context|io|util)/';
const TESTS = '\\.test\\.tsx?$';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    { name: 'core-not-into-cli-or-ui', severity: 'error', comment: 'the CLI and the UI are faces over the core, never below it', from: { path: CORE, pathNot: TESTS }, to: { path: '^src/(cli|ui)/' } },
    { name: 'nodes-not-into-cli-or-ui', severity: 'error', comment: 'node types are core: React views live in src/ui/views', from: { path: '^nodes/', pathNot: TESTS }, to: { path: '^src/(cli|ui)/' } },
    { name: 'models-not-into-train', severity: 'error', comment: 'nets know nothing of training', from: { path: '^src/models/', pathNot: TESTS }, to: { path: '^src/train/' } },
    { name: 'runtime-not-into-nodes', severity: 'error', comment: 'the runtime is handed a registry (NodeRegistry), it never imports nodes/', from: { path: '^src/runtime/', pathNot: TESTS }, to: { path: '^nodes/' } },
    { name: 'nodes-not-into-runtime', severity: 'error', comment: 'kernels see only their KernelContext', from: { path: '^nodes/', pathNot: TESTS }, to: { path: '^src/runtime/' } },
    { name: 'train-not-into-nodes', severity: 'error', comment: 'training edits pipelines through the registry, not node folders', from: { path: '^src/(train|models|context|io|graph|util)/', pathNot: TESTS }, to: { path: '^nodes/' } },
    { name: 'util-at-the-bottom', severity: 'error', comment: 'src/util (rng, hashing) depends on nothing of ours', from: { path: '^src/util/' }, to: { path: '^(src|nodes)/', pathNot: '^src/util/' } },
    { name: 'core-without-react', severity: 'error', comment: 'the core runs in Node and workers: no React, no React Flow', from: { path: [CORE, '^nodes/'] }, to: { path: 'node_modules/(react|react-dom|@xyflow|recharts)/' } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
