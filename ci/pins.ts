/**
 * Third-party actions the generated workflows use, pinned by full commit SHA (a tag can be moved;
 * a commit cannot), with the release it is in a comment after the `uses:` line (ci/github.ts).
 * Change a pin here, regenerate, and the PR diff shows it; the generated Dependabot config
 * (`.github/dependabot.yml`) proposes updates as PRs. Each SHA is the commit the release tag
 * points to, read from the action's repository (`git rev-parse <tag>^{commit}`).
 */
export const PINS = {
  checkout: { action: 'actions/checkout', sha: '11bd71901bbe5b1630ceea73d27597364c9af683', version: 'v4.2.2' },
  setupNode: { action: 'actions/setup-node', sha: '49933ea5288caeca8642d1e84afbd3f7d6820020', version: 'v4.4.0' },
  uploadArtifact: { action: 'actions/upload-artifact', sha: 'ea165f8d65b6e75b540449e92b4886f43607fa02', version: 'v4.6.2' },
  downloadArtifact: { action: 'actions/download-artifact', sha: 'd3f86a106a0bac45b974a628896c90dbdf5c8093', version: 'v4.3.0' },
  githubScript: { action: 'actions/github-script', sha: '60a0d83039c74a4aee543508d2ffcb1c3799cdea', version: 'v7.0.1' },
  uploadSarif: { action: 'github/codeql-action/upload-sarif', sha: '48ab28a6f5dbc2a99bf1e0131198dd8f1df78169', version: 'v3.28.0' },
  setupTerraform: { action: 'hashicorp/setup-terraform', sha: 'b9cd54a3c349d3f38e8881555d616ced269862dd', version: 'v3.1.2' },
  vault: { action: 'hashicorp/vault-action', sha: 'd1720f055e0635fd932a1d2a48f87a666a57906c', version: 'v3.0.0' },
  // v2.0.6^{commit} in actions/create-github-app-token is df432ce… ("build(release): 2.0.6"); its action.yml has the
  // owner, repositories and permission-<name> inputs the review's token step uses (ci/github-review.ts).
  createAppToken: { action: 'actions/create-github-app-token', sha: 'df432ceedc7162793a195dd1713ff69aefc7379e', version: 'v2.0.6' },
  awsCredentials: { action: 'aws-actions/configure-aws-credentials', sha: 'e3dd6a429d7300a6a4c196c26e071d42e0343502', version: 'v4.0.2' },
} as const;

type PinName = keyof typeof PINS;

/** `uses:` values: `<action>@<sha>`. */
export const ACTIONS = Object.fromEntries(
  Object.entries(PINS).map(([k, p]) => [k, `${p.action}@${p.sha}`]),
) as { readonly [K in PinName]: string };

/** The release of a pinned `uses:` value, for the comment beside it. */
export function pinnedVersion(uses: string): string | undefined {
  return Object.values(PINS).find((p) => `${p.action}@${p.sha}` === uses)?.version;
}

/** Terraform ≥ 1.11: the stacks use write-only attributes (`password_wo`) and ephemeral variables. */
export const TERRAFORM_VERSION = '1.11.4';
export const NODE_VERSION = '20';
export const RUNNER = 'ubuntu-24.04';
