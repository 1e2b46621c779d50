// Moved to support/secret-names.ts; re-exported here so rules written against the old path still compile (remove once none import it).
export * from './support/secret-names';
