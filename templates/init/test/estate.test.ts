import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { synthesize, writeDist } from 'tierkit';
import { tierkitMatchers } from 'tierkit/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import estate from '../environments';

expect.extend(tierkitMatchers);

describe('the estate', () => {
  let dist: string;
  beforeAll(() => {
    dist = join(mkdtempSync(join(tmpdir(), 'estate-')), 'dist');
    writeDist(dist, synthesize(estate()).files);
  });

  it('gives the orders sandbox a database of its own and a NOLOGIN group role', () => {
    const stack = join(dist, 'terraform/orders-alice/cdk.tf.json');
    expect(stack).toHaveResourceWithProperties('postgresql_database', { name: 'orders-alice' });
    expect(stack).toHaveResourceWithProperties('postgresql_role', { name: 'orders_alice_role', login: false });
  });

  it('passes every built-in policy rule', async () => {
    await expect(dist).toPassPolicy();
  });
});
