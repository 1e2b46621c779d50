/**
 * Third-party actions the generated workflows use, pinned to exact release tags. A workflow that
 * holds OIDC and Vault credentials must not float on `@v4`: change a pin here, regenerate, and the
 * PR diff shows it. (Replace the tags by full commit SHAs where your org requires it.)
 */
export const ACTIONS = {
  checkout: 'actions/checkout@v4.2.2',
  setupNode: 'actions/setup-node@v4.4.0',
  uploadArtifact: 'actions/upload-artifact@v4.6.2',
  downloadArtifact: 'actions/download-artifact@v4.3.0',
  githubScript: 'actions/github-script@v7.0.1',
  uploadSarif: 'github/codeql-action/upload-sarif@v3.28.0',
  setupTerraform: 'hashicorp/setup-terraform@v3.1.2',
  vault: 'hashicorp/vault-action@v3.0.0',
  awsCredentials: 'aws-actions/configure-aws-credentials@v4.0.2',
} as const;

/** Terraform ≥ 1.11: the stacks use write-only attributes (`password_wo`) and ephemeral variables. */
export const TERRAFORM_VERSION = '1.11.4';
export const NODE_VERSION = '20';
export const RUNNER = 'ubuntu-24.04';
