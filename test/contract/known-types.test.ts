import { describe, expect, it } from 'vitest';
import { isKnownType, VAULT_DATA_TYPES, VAULT_TYPES } from '../../contract/known-types';
import { knownVaultType, VAULT_INERT_TYPES, VAULT_MODELLED_TYPES } from '../../policies/graph/vault-types';

// The contract's registry decides what `diff` lists as unmodelled and where TK021 looks for
// unknowns; the Vault tables decide TK071. Disagreeing, a type could be "known" to one and
// refused (or silently passed) by the other.
describe('the known-types registry', () => {
  it('lists exactly the Vault types the graph models or holds inert', () => {
    const keys = (block: 'resource' | 'data') => [...Object.keys(VAULT_MODELLED_TYPES[block]), ...Object.keys(VAULT_INERT_TYPES[block])].sort();
    expect([...VAULT_TYPES].sort()).toEqual(keys('resource'));
    expect([...VAULT_DATA_TYPES].sort()).toEqual(keys('data'));
    expect(Object.keys(VAULT_MODELLED_TYPES.ephemeral)).toEqual([]);
  });

  it('agrees with TK071 on a type neither models', () => {
    expect(isKnownType('resource', 'vault_identity_group')).toBe(false);
    expect(knownVaultType('resource', 'vault_identity_group')).toBe(false);
    expect(isKnownType('resource', 'postgresql_function')).toBe(true);
    expect(isKnownType('data', 'vault_policy_document')).toBe(true);
    expect(isKnownType('resource', 'vault_policy_document')).toBe(false);
  });
});
