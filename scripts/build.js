#!/usr/bin/env node
'use strict';
// `npm run build` (and `prepack`): compile the library and CLI to lib/ with tsc (JS + .d.ts).
// lib/ is rebuilt from nothing so a deleted source never ships; lib/package.json carries the
// version, read by the synthesizer and the check engine relative to their own compiled files.
const { spawnSync } = require('node:child_process');
const { mkdirSync, rmSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const lib = join(root, 'lib');
rmSync(lib, { recursive: true, force: true });
const tsc = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
if (tsc.status !== 0) {
  rmSync(lib, { recursive: true, force: true });
  console.error('build: tsc failed; lib/ was not written');
  process.exit(1);
}
const { name, version } = require(join(root, 'package.json'));
mkdirSync(lib, { recursive: true });
writeFileSync(join(lib, 'package.json'), `${JSON.stringify({ name: `${name}-lib`, version, private: true, description: 'Compiled output of tierkit; this file only carries the version.' }, null, 2)}\n`);
