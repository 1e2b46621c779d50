export * from './model';
export { computeChangeSet, failures, prodTierPredicate } from './changeset';
export { renderMarkdown, GITHUB_COMMENT_LIMIT } from './markdown';
export type { MarkdownOptions } from './markdown';
export { renderJson } from './json';
export { withBaseRefDist, BaseRefError } from './base-ref';
export { diffPolicies, parsePolicy, readPolicy } from './vault-policy';
export { MARKER } from './markdown-parts';
export { identicalFiles } from './identical';
