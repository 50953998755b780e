// The dependency rule (`npm run depcheck`): no cycles, and the architecture
// stays the layout. Entry points (admin API, receiver, worker, console) may use
// the layers below them but never each other; the pure layers (domain,
// templates) use nothing with I/O. Shared pieces live in neutral modules
// (auth/, domain/, errors.ts) instead of one feature reaching into another.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    // A cycle of type-only imports vanishes at compile time; a runtime cycle is what breaks module loading.
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } } },
    {
      name: 'src-not-to-test-or-bench',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|bench)/' },
    },
    {
      name: 'bullmq-internals-behind-one-seam',
      comment: "only src/queue/bullmq-internals.ts may use BullMQ's internals (see its header)",
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/queue/bullmq-internals[.]ts$' },
      to: { path: 'node_modules/bullmq/dist/', pathNot: 'node_modules/bullmq/dist/(cjs|esm)/index[.]js$' },
    },
    {
      name: 'features-do-not-reach-into-each-other',
      comment: 'receiver, admin, worker and console are separate entry points: share code through a neutral module',
      severity: 'error',
      from: { path: '^src/(receiver|admin|worker|console)/' },
      to: { path: '^src/(receiver|admin|worker|console)/', pathNot: '^src/$1/' },
    },
    {
      name: 'pure-layers-stay-pure',
      comment: 'domain/ and templates/ are pure logic: no Redis, HTTP, queue or store',
      severity: 'error',
      from: { path: '^src/(domain|templates)/' },
      to: {
        path: '^src/(redis|store|queue|worker|receiver|admin|http|delivery|health|docs|console|tracking)/|^node_modules/(ioredis|bullmq|fastify|undici)',
      },
    },
    {
      name: 'lower-layers-do-not-import-features',
      severity: 'error',
      from: { path: '^src/(store|queue|redis|delivery|templates|domain|audit|net|config)/' },
      to: { path: '^src/(receiver|admin|worker|console|http|docs)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
