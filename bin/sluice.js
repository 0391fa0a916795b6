#!/usr/bin/env node
// Runs the TypeScript CLI without a build step: tsx's CommonJS hook compiles bin/sluice.ts on the fly.
require('tsx/cjs');

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
