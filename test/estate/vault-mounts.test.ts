// The estate's Vault mount paths are refused at declaration unless already clean: the Vault client
// cleans request paths (path.Join), so a mount "kvv2/" or "x/../kvv2" would put the estate's secrets
// somewhere else than every path tierkit derives from it (policies: TK062 judges dist/).
import { describe, expect, it } from 'vitest';
import { validateEstate } from '../../constructs';
import { smallEstate } from '../support/estates';

function issuesOf(vault: Record<string, unknown>) {
  const estate = smallEstate({ vault: { address: 'https://vault.test.lab', ...vault } as never });
  return validateEstate(estate.node.root as never).map((i) => ({ path: i.path, property: i.property, value: i.value, message: i.message, fix: i.fix }));
}

const MESSAGE = 'is not a clean Vault mount path (letters, digits, "_", "-", "." and inner "/"; no segment starting with "." and no leading, trailing or doubled "/")';

describe('estate vault mounts', () => {
  it('accepts the defaults and clean nested mounts', () => {
    expect(issuesOf({})).toEqual([]);
    expect(issuesOf({ kvMount: 'team/kv-v2', databaseMount: 'db.pg' })).toEqual([]);
  });

  it('refuses a trailing, leading or doubled "/", and "." or ".." segments, naming the property, value and fix', () => {
    const issues = issuesOf({ kvMount: 'kvv2/', databaseMount: 'x/../postgres', kubernetesAuthPath: '/kubernetes', jwtAuthPath: 'ci//jwt' });
    expect(issues.map((i) => [i.property, i.value, i.message])).toEqual([
      ['vault.databaseMount', 'x/../postgres', MESSAGE],
      ['vault.kvMount', 'kvv2/', MESSAGE],
      ['vault.kubernetesAuthPath', '/kubernetes', MESSAGE],
      ['vault.jwtAuthPath', 'ci//jwt', MESSAGE],
    ]);
    expect(issues.every((i) => i.path === 'test' && /e\.g\. "kvv2"/.test(i.fix))).toBe(true);
  });
});
