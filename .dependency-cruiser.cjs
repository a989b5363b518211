// The architecture's layering, checked by dependency-cruiser (`npm run lint:layers`, part of `npm test`).
//
// Layout it is written for (paths relative to the repo root, the directory depcruise runs in):
//   core        src/model, src/schema, src/planner, src/engine, src/daemon, src/metrics, src/render,
//               src/cli (and src/observe, src/executors while they exist)
//   the list    src/systems/index.ts   (THE list of systems; the only door from the core into them)
//   interface   src/systems/types.ts   (the System interface: core, not a system)
//   systems     src/systems/<name>/    (hdfs, zookeeper, ...)
//   shared      src/hadoop/, src/stores/  (rooms used by systems)
//
// Every rule is an error: a violation makes depcruise exit non-zero, and so fails `npm test`.
// test/unit/layering.test.ts runs this file on fixture trees, one violation per rule.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No import cycles anywhere in src (type-only imports count too: a cycle of types is a cycle of layers).',
      from: {},
      to: { circular: true },
    },
    {
      name: 'core-not-to-system-internals',
      severity: 'error',
      comment:
        'The core reaches systems only through the list: outside src/systems/, import src/systems/index.ts, ' +
        'src/systems/types.ts (or another file directly in src/systems/), never a file under src/systems/<name>/.',
      from: { path: '^src/', pathNot: '^src/systems/' },
      to: { path: '^src/systems/[^/]+/' },
    },
    {
      name: 'systems-not-to-other-systems',
      severity: 'error',
      comment: 'Systems never import each other: src/systems/A/ may not import src/systems/B/ (B != A); share through src/hadoop, src/stores or the core.',
      from: { path: '^src/systems/([^/]+)/' },
      to: { path: '^src/systems/[^/]+/', pathNot: '^src/systems/$1/' },
    },
    {
      name: 'systems-not-to-orchestrators',
      severity: 'error',
      comment: 'A system does not reach up into the orchestrators (src/cli, src/daemon) nor into the list src/systems/index.ts, which imports it.',
      from: { path: '^src/systems/[^/]+/' },
      to: { path: ['^src/(cli|daemon)/', '^src/systems/index\\.ts$'] },
    },
    {
      name: 'shared-not-to-systems-or-core-flow',
      severity: 'error',
      comment: 'The shared rooms src/hadoop/ and src/stores/ serve systems: they never import src/systems, src/cli, src/daemon, src/engine or src/planner.',
      from: { path: '^src/(hadoop|stores)/' },
      to: { path: '^src/(systems|cli|daemon|engine|planner)/' },
    },
    {
      name: 'model-is-a-leaf',
      severity: 'error',
      comment: 'src/model/ imports nothing from other src folders (node built-ins and packages are fine).',
      from: { path: '^src/model/' },
      to: { path: '^src/', pathNot: '^src/model/' },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'Every import resolves (a missing file or an uninstalled package).',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    // depcruise is run on src only; packages are leaves, never cruised into; build output is ignored.
    doNotFollow: { path: '(^|/)node_modules/' },
    exclude: { path: '(^|/)(node_modules|dist)/' },
    // Type-only imports (`import type`, `import('x').T`) are dependencies too.
    tsPreCompilationDeps: true,
    // NodeNext: `./x.js` in a specifier names `./x.ts`; the tsconfig of the directory depcruise runs in.
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.json', '.d.ts'],
    },
    progress: { type: 'none' },
  },
};
