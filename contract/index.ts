export * from './manifest';
export * from './problems';
export * from './read';
export * from './read-parallel';
export * from './known-types';
export { Unknown, isUnknown, unknownsIn, containsUnknown, asWritten } from './terraform/unknown';
export { evaluateString } from './terraform/evaluate';
export { StackEvaluator } from './terraform/stack';
export * from './unresolved';
