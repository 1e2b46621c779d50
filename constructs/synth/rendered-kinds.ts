// The rendered kinds are the contract's (the rules refuse any other); re-exported for the synthesizer.
export * from '../../contract/rendered-kinds';
