import { stateKeyLayoutOf } from '../../contract/ci-names';
import { manifestStackStateKey } from '../../contract/state-access';
import { EstateGraph, Stack } from '../graph/types';
import { Rule, RuleFinding } from './support/rule';

/** What the S3 backend block of every stack holds: the estate's settings, its own key, locking on. */
function expectedS3(bucket: string, region: string, key: string): Record<string, unknown> {
  return { bucket, encrypt: true, key, region, use_lockfile: true };
}

function source(s: Stack) {
  return { file: s.file, pointer: '/terraform/backend', constructPath: s.manifest?.constructPath };
}

const show = (v: unknown) => JSON.stringify(v);

export const rule: Rule = {
  id: 'TK092',
  name: 'state-backend-key',
  severity: 'error',
  title: "Every stack keeps its Terraform state in the estate's backend, under the key naming derives from its name",
  explanation:
    "Each Terraform state identity (dist/ci/state-access.json) is granted the state keys of exactly the stacks its tier "
    + "gates, named from its gating tier and server (`<keyPrefix>/<gatingTier>/servers/<server>/<stack>.tfstate`, layout 2). A stack whose backend names another key (an escape hatch's "
    + "`addOverride('terraform.backend.s3.key', …)`), another bucket, or backend credentials of its own (`role_arn`, "
    + '`assume_role`, `profile`, `access_key`, an `endpoint`) reads or writes state that is not its own — a dev stack '
    + "pointed at prod's key would have its plan refresh, and its apply overwrite, prod's state — or escapes the identity "
    + 'the workflow assumed. The rule requires the backend block of every stack, listed or not, to be exactly the one '
    + 'the estate declares; a backend it cannot read (no `estate.backend` in the manifest, several backends, an '
    + 'unknown type) is a finding.',
  fix: "Remove the escape hatch or override that changes `terraform.backend`; the estate's `backend` (Backend.s3({ bucket, region, keyPrefix, accountId })) decides every stack's state location.",
  suppressible: false,
  evaluate(g: EstateGraph) {
    const out: RuleFinding[] = [];
    const declared = g.manifest.estate.backend;
    if (!declared) {
      out.push({ source: { file: 'manifest.json', pointer: '/estate/backend' }, message: 'manifest.json records no estate backend: no stack\'s state location can be judged (a dist from an older tierkit?)', fix: 'Re-run `tierkit synth` with this tierkit.' });
      return out;
    }
    if (declared.type === 's3' && stateKeyLayoutOf(declared) === undefined) {
      out.push({ source: { file: 'manifest.json', pointer: '/estate/backend/stateKeyLayout' }, message: `manifest.json records state key layout ${show((declared as Record<string, unknown>).stateKeyLayout)}, which this tierkit does not know: no stack's state key can be judged`, fix: 'Re-run `tierkit synth` with this tierkit.' });
      return out;
    }
    for (const s of g.stacks) {
      const backend = (s.json.terraform as Record<string, unknown> | undefined)?.backend;
      const types = backend && typeof backend === 'object' && !Array.isArray(backend) ? Object.keys(backend) : [];
      const where = `stack ${s.name}${s.listed ? '' : ' (not listed in the manifest)'}`;
      if (types.length !== 1 || types[0] !== declared.type) {
        out.push({ env: s.env, source: source(s), message: `${where} declares backend ${types.length === 0 ? 'none' : types.map((t) => `"${t}"`).join(' and ')}, not the estate's "${declared.type}": its state would live where no state identity is scoped` });
        continue;
      }
      const got = (backend as Record<string, unknown>)[declared.type];
      // The key names the stack's gating tier and server as the manifest lists them (layout 2):
      // a stack the manifest does not list, or lists without them, has no key to judge against.
      const key = declared.type === 's3' && s.manifest ? manifestStackStateKey(declared, s.manifest) : undefined;
      if (declared.type === 's3' && key === undefined) {
        out.push({ env: s.env, source: source(s), message: `${where}: the manifest ${s.manifest ? 'lists it without the gating tier and server its state key names' : 'does not list it'}, so its state key cannot be derived or judged` });
        continue;
      }
      const want = declared.type === 's3'
        ? expectedS3(declared.bucket, declared.region, key!)
        : { path: 'terraform.tfstate' };
      if (!got || typeof got !== 'object' || Array.isArray(got)) {
        out.push({ env: s.env, source: source(s), message: `${where}: backend "${declared.type}" is ${show(got)}, not an object tierkit can read` });
        continue;
      }
      const settings = got as Record<string, unknown>;
      const keys = [...new Set([...Object.keys(want), ...Object.keys(settings)])].sort();
      for (const k of keys) {
        if (!(k in want)) {
          out.push({ env: s.env, source: { ...source(s), pointer: `/terraform/backend/${declared.type}/${k}` }, message: `${where}: backend setting "${k}" = ${show(settings[k])} is not the estate's: backend credentials, endpoints and key prefixes decide whose state a run reaches` });
        } else if (show(settings[k]) !== show(want[k as keyof typeof want])) {
          const msg = k === 'key'
            ? `${where} keeps its state under key ${show(settings[k])}, not its own ${show(want[k as keyof typeof want])}: a state identity granted that key would read or write another stack's state`
            : `${where}: backend ${k} is ${show(settings[k])}, not the estate's ${show(want[k as keyof typeof want])}`;
          out.push({ env: s.env, source: { ...source(s), pointer: `/terraform/backend/${declared.type}/${k}` }, message: msg });
        }
      }
    }
    return out;
  },
};
