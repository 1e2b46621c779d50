// The manifest is the artifact contract: its types live in contract/, which every reader of dist/ uses.
export * from '../../contract/manifest';
