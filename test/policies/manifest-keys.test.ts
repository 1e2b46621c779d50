import { cpSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readDist } from '../../contract/read';
import { check, cleanDist, findings, freshDir } from './helpers';
import { manifestEdit } from './rehash';

/**
 * A name a manifest list repeats (hand-edited manifest.json): the graph keys tiers, servers and
 * stacks by name, the env index keys envs by slug, stack, role, database, Vault names and
 * namespace, the reader keys artifact hashes by path — each sees one of two entries, the other
 * escapes the rules. The strict reader refuses every repeat (TK020), in whichever order.
 */

function edited(edit: (m: any) => void): string {
  const dir = freshDir('manifest-keys');
  cpSync(cleanDist(), dir, { recursive: true });
  manifestEdit(dir, edit);
  return dir;
}

const copy = <T>(v: T): T => JSON.parse(JSON.stringify(v));
const repeats = (dir: string) => readDist(dir).problems.filter((p) => p.file === 'manifest.json' && /repeats the/.test(p.reason));

describe('the strict reader refuses a name a manifest list repeats', () => {
  it('the example estate repeats none', () => {
    expect(repeats(cleanDist())).toEqual([]);
  });

  it("a second prod tier that holds no live data, before or after the genuine one: TK020 names both entries", async () => {
    for (const where of ['first', 'last'] as const) {
      let at = -1;
      let genuine = -1;
      const dir = edited((m) => {
        const fake = { ...copy(m.tiers.find((t: any) => t.name === 'prod')), data: ['synthetic'] };
        if (where === 'first') m.tiers.unshift(fake); else m.tiers.push(fake);
        genuine = m.tiers.findIndex((t: any) => t.name === 'prod' && t.data.includes('live'));
        at = Math.max(genuine, m.tiers.indexOf(fake));
      });
      const first = where === 'first' ? 0 : genuine;
      const f = findings(await check(dir), 'TK020').filter((x) => x.file === 'manifest.json');
      expect(f.map((x) => [x.pointer, x.severity, x.message]), where).toEqual([
        [`/tiers/${at}/name`, 'error', expect.stringContaining(`repeats the tier name "prod" of /tiers/${first}/name`)],
      ]);
    }
  });

  it('each keyed list: servers, stacks, artifacts, envs by slug and stack', () => {
    // The repeated entry's index is the list's length before the push: counted, not written down.
    const at = { servers: 0, stacks: 0, artifacts: 0, envs: 0 };
    const dir = edited((m) => {
      Object.assign(at, { servers: m.servers.length, stacks: m.stacks.length, artifacts: m.artifacts.length, envs: m.appEnvironments.length });
      m.servers.push(copy(m.servers[0]));
      m.stacks.push({ ...copy(m.stacks.find((s: any) => s.name === 'crm')), gatingTier: 'dev', humanGate: false, applyGate: 'automatic-on-merge' });
      m.artifacts.push(copy(m.artifacts[0]));
      m.appEnvironments.push(copy(m.appEnvironments[0]));
    });
    const reasons = repeats(dir).map((p) => `${p.pointer} ${p.reason.replace(/ of \/.*/, '')}`);
    for (const want of [`/servers/${at.servers}/id repeats the server id`, `/stacks/${at.stacks}/name repeats the stack name "crm"`, `/artifacts/${at.artifacts}/path repeats the artifact path`,
      `/appEnvironments/${at.envs}/slug repeats the app-environment slug`, `/appEnvironments/${at.envs}/stack repeats the app-environment stack`,
      `/appEnvironments/${at.envs}/names/groupRole repeats the Postgres role`, `/appEnvironments/${at.envs}/names/namespace repeats the namespace`,
      `/appEnvironments/${at.envs}/artifacts/0 repeats the artifact of an app-environment`]) {
      expect(reasons.some((r) => r.startsWith(want)), `${want}\n${reasons.join('\n')}`).toBe(true);
    }
  });

  it("a second stack directory listed as another stack's artifact (the reader names the stack after it)", () => {
    const dir = edited((m) => {
      const evil = m.artifacts.find((a: any) => a.path === 'terraform/crm-alice/cdk.tf.json');
      evil.stack = 'crm';
    });
    expect(repeats(dir).map((p) => [p.pointer, p.reason])).toEqual([
      [expect.stringMatching(/^\/artifacts\/\d+\/stack$/), expect.stringMatching(/^repeats the stack of a Terraform artifact "crm" of \/artifacts\/\d+\/stack/)],
    ]);
  });

  it("an env claiming another env's group role (a role name the index files under one env only)", () => {
    const dir = edited((m) => {
      const prod = m.appEnvironments.find((e: any) => e.slug === 'crm');
      const sandbox = m.appEnvironments.find((e: any) => e.slug === 'crm-alice');
      sandbox.names.goldenDumpRole = prod.names.groupRole;
    });
    const r = repeats(dir);
    expect(r.map((p) => p.reason)).toEqual([expect.stringMatching(/^repeats the Postgres role "crm_role" of \/appEnvironments\/\d+\/names\/groupRole/)]);
  });
});
