// The reader moved to contract/ (docs/design.md, "The flow": the one strict reader of dist/); kept for existing imports.
export * from '../../contract/read';
