// The reader moved to contract/ (DESIGN.md: the one strict reader of dist/); kept for existing imports.
export * from '../../contract/read';
