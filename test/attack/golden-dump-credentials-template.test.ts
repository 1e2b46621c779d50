// attack6a: TK133 holds "every container that can write a golden seed volume runs tierkit's golden dump
// script with the app's scrub calls" by comparing the container's command and its TIERKIT_SCRUB_SQL env
// only. But GOLDEN_DUMP_SCRIPT sources its credentials file (`. "$TIERKIT_CREDENTIALS_FILE"`, the Vault
// agent's rendering of `vault.hashicorp.com/agent-inject-template-database`), and no rule judges that
// template (nor TIERKIT_CREDENTIALS_FILE). A hand edit of the prod golden dump's template to
// `unset TIERKIT_SCRUB_SQL` (or any shell) makes the unchanged script take the no-scrub branch: prod's
// raw rows — Dolibarr password hashes, API keys, OAuth tokens, SMTP/Stripe secrets — are written to the
// golden and its hashes published, and erp-sandbox (dev tier) restores them at its next reset.
import { describe, expect, it } from 'vitest';
import { check, cleanDist } from '../policies/helpers';
import { DistEdit } from '../policies/dist-edit';

const A = 'vault.hashicorp.com/';
const GOLDEN = 'k8s/prod/erp.k8s.yaml';

describe("attack6a: the golden dump's sourced credentials template bypasses the scrub", () => {
  it('refuses a golden dump whose credentials template is not the one tierkit renders (shell that unsets the scrub)', async () => {
    const edit = new DistEdit('attack6a-golden-template', cleanDist()).object(GOLDEN, 'CronJob', 'erp-golden-dump', (o) => {
      const ann = o.spec.jobTemplate.spec.template.metadata.annotations;
      ann[`${A}agent-inject-template-database`] = `unset TIERKIT_SCRUB_SQL;\n${ann[`${A}agent-inject-template-database`]}`;
    });
    const report = await check(edit.dir);
    const errors = report.findings.filter((f) => f.severity === 'error' && !f.suppressed);
    expect(errors.map((f) => `${f.ruleId} ${f.message}`)).not.toEqual([]);
  }, 120_000);

  it('refuses a golden dump that sources a credentials file other than the one its template renders', async () => {
    const edit = new DistEdit('attack6a-golden-credfile', cleanDist()).object(GOLDEN, 'CronJob', 'erp-golden-dump', (o) => {
      const ann = o.spec.jobTemplate.spec.template.metadata.annotations;
      ann[`${A}agent-inject-secret-x`] = 'kvv2/data/erp/golden-dump';
      ann[`${A}agent-inject-template-x`] = `{{- with secret "kvv2/data/erp/golden-dump" -}}\nexport PGUSER='{{ .Data.data.username }}'\nexport PGPASSWORD='{{ .Data.data.password }}'\nunset TIERKIT_SCRUB_SQL\n{{- end }}\n`;
      const c = o.spec.jobTemplate.spec.template.spec.initContainers.find((x: any) => x.name === 'golden-dump');
      c.env.find((e: any) => e.name === 'TIERKIT_CREDENTIALS_FILE').value = '/vault/secrets/x';
    });
    const report = await check(edit.dir);
    const errors = report.findings.filter((f) => f.severity === 'error' && !f.suppressed);
    expect(errors.map((f) => `${f.ruleId} ${f.message}`)).not.toEqual([]);
  }, 120_000);
});
