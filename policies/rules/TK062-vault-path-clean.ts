import { isUnknown } from '../../contract/terraform/unknown';
import { Rule, RuleFinding } from './support/rule';
import { uncleanPath, valuesAt, VAULT_PATH_ATTRIBUTES } from './support/vault-path-clean';

export const rule: Rule = {
  id: 'TK062',
  name: 'vault-path-clean',
  severity: 'error',
  title: 'Every Vault mount, path and name a modelled resource writes is already clean: no empty, "." or ".." segment, no leading, trailing or doubled "/"',
  explanation:
    'The Vault provider joins a resource\'s mount and name into the request path (vault_kv_secret_v2: mount + "/data/" + '
    + 'name), and the Vault API client cleans that path before sending it (api/client.go NewRequest: path.Join). The rules '
    + 'read the path as written: a KV name "erp-sandbox/../erp/config", or a mount "kvv2/", in a dev sandbox\'s stack passes '
    + 'as the sandbox\'s own and is written to kvv2/data/erp/config — prod\'s app config. Such a value is refused, not '
    + 'cleaned, whatever the suppression: the path tierkit judges is then the path Vault writes.',
  fix: 'Write the mount and name without leading, trailing or doubled "/" and without "." or ".." segments — tierkit\'s names (constructs/naming.ts) already are.',
  suppressible: false,
  evaluate(g) {
    const out: RuleFinding[] = [];
    const stacks = new Map(g.stacks.map((s) => [s.file, s]));
    for (const r of g.resources) {
      if (r.kind === 'data') continue;
      const attributes = VAULT_PATH_ATTRIBUTES[r.type];
      if (!attributes) continue;
      const s = stacks.get(r.file);
      for (const attribute of attributes) {
        for (const [at, v] of valuesAt(r.attributes, attribute)) {
          // An expression is TK071's finding (it names what it cannot resolve); anything else unreadable is this rule's.
          if (isUnknown(v) || (typeof v === 'string' && (v.includes('${') || v.includes('%{')))) continue;
          const why = typeof v === 'string' ? uncleanPath(v) : `is ${JSON.stringify(v ?? null)}, not a string`;
          if (why === undefined) continue;
          out.push({
            env: s?.env,
            source: { file: r.file, pointer: `${r.pointer}/${at}`, resourcePath: r.constructPath, constructPath: s?.env?.constructPath ?? s?.manifest?.constructPath },
            message: `${r.address} in stack ${r.stack}: ${at.replace(/\//g, '.')} ${JSON.stringify(v ?? null)} ${why}: the Vault client cleans the request path (path.Join), so Vault writes another path than the one tierkit judges`,
          });
        }
      }
    }
    return out;
  },
};
