import { resolve } from 'node:path';
import { defineConfig } from 'vitest/config';

// The example estate imports tierkit by its package name, as an estate repo does; here the names
// resolve to the sources (the same map as tsconfig.json's paths, which tsx and tsc read).
// @ts-expect-error import.meta: an ES module, type-checked with the project's CommonJS settings.
const source = (path: string) => resolve(import.meta.dirname as string, path);
const alias = [
  { find: /^tierkit$/, replacement: source('./constructs/index.ts') },
  { find: /^tierkit\/policies$/, replacement: source('./policies/index.ts') },
  { find: /^tierkit\/testing$/, replacement: source('./policies/testing/matchers.ts') },
  { find: /^tierkit\/providers$/, replacement: source('./constructs/cdktf.ts') },
];

export default defineConfig({
  test: {
    projects: [
      {
        resolve: { alias },
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: ['test/pg/**', 'test/attack/pg-*.test.ts'],
          globalSetup: ['test/setup/tmpdir.ts'],
          testTimeout: 60_000,
        },
      },
      {
        resolve: { alias },
        test: {
          name: 'pg',
          include: ['test/pg/**/*.test.ts', 'test/attack/pg-*.test.ts'],
          globalSetup: ['test/setup/tmpdir.ts', 'test/pg/setup/servers.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
