// Vault policy parsing is the contract's (diff reads policies too).
export * from '../../contract/vault-policy';
