// Moved to support/pod-templates.ts; re-exported here so rules written against the old path still compile (remove once none import it).
export * from './support/pod-templates';
