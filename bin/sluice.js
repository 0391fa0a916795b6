#!/usr/bin/env node
// Runs the TypeScript CLI without a build step: tsx compiles bin/sluice.ts on the fly. Both hooks: require()
// goes through the CommonJS one, and a dynamic import() (the runtime loads the CDK app lazily) through the ESM one.
require('tsx/cjs');
require('tsx/esm/api').register();

const { main } = require('./sluice.ts');

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    console.error(error);
    process.exitCode = 1;
  },
);
