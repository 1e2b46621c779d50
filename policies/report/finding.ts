// The finding and report shapes are the contract's (diff embeds the check result).
export * from '../../contract/findings';
