// Moved to support/k8s-scope.ts; re-exported here so rules written against the old path still compile (remove once none import it).
export * from './support/k8s-scope';
