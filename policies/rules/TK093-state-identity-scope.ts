import { stateLockKey } from '../../constructs/naming';
import { GITHUB_OIDC_HOST, manifestStackStateKey, stateAccess, STS_AUDIENCE } from '../../contract/state-access';
import { EstateGraph } from '../graph/types';
import { Rule, RuleFinding } from './support/rule';

/** Actions a state identity may be allowed, by access. */
const READ_ACTIONS = new Set(['s3:GetObject', 's3:ListBucket']);
const WRITE_ACTIONS = new Set([...READ_ACTIONS, 's3:PutObject', 's3:DeleteObject']);

const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : [v]);
const isRecord = (v: unknown): v is Record<string, any> => !!v && typeof v === 'object' && !Array.isArray(v);

export const rule: Rule = {
  id: 'TK093',
  name: 'state-identity-scope',
  severity: 'error',
  title: 'Each Terraform state identity is trusted by exactly its own runs and reaches exactly its own stacks\' state',
  explanation:
    'PR plans and applies reach Terraform state through AWS roles whose documents synth writes to '
    + 'dist/ci/state-access.json: a read-only planner per tier (trusted by pull request runs, in `<tier>-plan` for a '
    + 'human-gated tier), a writing applier per tier (trusted only by the apply workflow at main in the tier\'s '
    + 'environment) and platform-admin. One shared role would let any pull request run rewrite prod state. The rule '
    + 'reads the file as written — a hand-edited copy included — and requires: every expected identity present, once (every copy of a name is judged); trust '
    + 'only from GitHub\'s OIDC provider of the backend\'s account, audience sts.amazonaws.com and exactly the identity\'s '
    + 'subject; planners granted only GetObject/ListBucket; every object an identity reaches is the key (or lock) of a '
    + 'stack its tier gates (platform-admin: the platform stacks), never a wildcard. What it cannot read is a finding.',
  fix: 'Re-run `tierkit synth` (never edit dist/ci/state-access.json); set Backend.s3({ accountId }) so the trust names your account.',
  suppressible: false,
  evaluate(g: EstateGraph) {
    const out: RuleFinding[] = [];
    const expected = stateAccess(g.manifest);
    const file = g.stateAccess?.file ?? 'ci/state-access.json';
    const at = (pointer: string) => ({ file, pointer });
    if (!expected) {
      if (g.stateAccess) out.push({ source: at(''), message: `${file} declares state identities, but the estate backend is not S3: nothing assumes them` });
      return out;
    }
    if (expected.identities.length === 0) return out;
    if (!g.stateAccess) return [{ source: at(''), message: `the estate keeps state in S3 bucket ${expected.backend.bucket} and CI applies stacks, but dist/ has no ${file}: the state identities the workflows assume are declared nowhere to be judged` }];
    if (g.stateAccess.error !== undefined || !isRecord(g.stateAccess.document)) {
      return [{ source: at(''), message: `${file} cannot be read (${g.stateAccess.error ?? 'not a JSON object'}): its state identities cannot be judged` }];
    }
    const doc = g.stateAccess.document;
    const account = expected.backend.accountId;
    if (!account) out.push({ source: { file: 'manifest.json', pointer: '/estate/backend' }, message: 'the S3 backend names no accountId: the state identities\' trust cannot name the GitHub OIDC provider of an account', fix: "Backend.s3({ …, accountId: '<12-digit account of the bucket>' })" });
    const tmpl = doc.githubOidcSubjectTemplate;
    if (!isRecord(tmpl) || tmpl.use_default !== false || JSON.stringify(tmpl.include_claim_keys) !== JSON.stringify(expected.githubOidcSubjectTemplate.include_claim_keys)) {
      out.push({ source: at('/githubOidcSubjectTemplate'), message: `${file}: the OIDC subject template is ${JSON.stringify(tmpl)}, not ${JSON.stringify(expected.githubOidcSubjectTemplate)}: the trust conditions below bind subjects of that form only` });
    }
    const written = Array.isArray(doc.identities) ? doc.identities : [];
    if (!Array.isArray(doc.identities)) out.push({ source: at('/identities'), message: `${file} has no identities list` });
    // Every entry is judged, under its name: a Map of one entry per name would judge only the last
    // copy, and whoever creates the roles "as written" may apply any of them.
    const byName = new Map<string, { id: Record<string, any>; i: number }[]>();
    written.forEach((id: unknown, i: number) => {
      if (isRecord(id) && typeof id.name === 'string') byName.set(id.name, [...(byName.get(id.name) ?? []), { id, i }]);
      else out.push({ source: at(`/identities/${i}`), message: `${file}: identity ${i} is not an object with a name` });
    });
    const want = new Map(expected.identities.map((e) => [e.name, e]));
    for (const [name, entries] of byName) {
      if (entries.length > 1) {
        out.push({ source: at(`/identities/${entries[1].i}`), message: `${file} declares state identity "${name}" ${entries.length} times (${entries.map((x) => `/identities/${x.i}`).join(', ')}): one IAM role has one trust and one permissions policy, so which copy is created depends on the tool applying the file; each name may appear once` });
      }
      if (!want.has(name)) for (const { i } of entries) out.push({ source: at(`/identities/${i}`), message: `${file} declares state identity "${name}", which the estate does not derive: nothing bounds what it reaches` });
    }
    /** One written identity (`/identities/<i>`) against the one the estate derives under its name. */
    const judge = (e: (typeof expected.identities)[number], id: Record<string, any>, i: number): void => {
      const p = `/identities/${i}`;
      const label = `state identity "${e.name}"`;
      // Trust: one Allow statement for the OIDC provider, audience and exactly the identity's subjects.
      const trust = isRecord(id.trustPolicy) ? list(id.trustPolicy.Statement) : [];
      const provider = `arn:aws:iam::${account ?? '<accountId>'}:oidc-provider/${GITHUB_OIDC_HOST}`;
      if (trust.length === 0) out.push({ source: at(`${p}/trustPolicy`), message: `${label} has no trust statement to judge` });
      trust.forEach((st, j) => {
        const sp = `${p}/trustPolicy/Statement/${j}`;
        if (!isRecord(st)) { out.push({ source: at(sp), message: `${label}: trust statement ${j} is not an object` }); return; }
        if (st.Effect === 'Deny') return;
        const cond = isRecord(st.Condition) ? st.Condition : {};
        const operators = Object.keys(cond).sort();
        const subs = list(cond.StringLike?.[`${GITHUB_OIDC_HOST}:sub`] ?? cond.StringEquals?.[`${GITHUB_OIDC_HOST}:sub`]).map(String).sort();
        const problems: string[] = [];
        if (JSON.stringify(Object.keys(st).sort()) !== JSON.stringify(['Action', 'Condition', 'Effect', 'Principal'])) problems.push(`keys ${JSON.stringify(Object.keys(st).sort())} (NotPrincipal/NotAction cannot be judged)`);
        if (!isRecord(st.Principal) || JSON.stringify(list(st.Principal.Federated)) !== JSON.stringify([provider]) || Object.keys(st.Principal).length !== 1) problems.push(`principal ${JSON.stringify(st.Principal)} is not only ${provider}`);
        if (JSON.stringify(list(st.Action)) !== JSON.stringify(['sts:AssumeRoleWithWebIdentity'])) problems.push(`action ${JSON.stringify(st.Action)}`);
        if (operators.some((o) => o !== 'StringEquals' && o !== 'StringLike')) problems.push(`condition operators ${operators.join(', ')}`);
        if (JSON.stringify(list(cond.StringEquals?.[`${GITHUB_OIDC_HOST}:aud`])) !== JSON.stringify([STS_AUDIENCE])) problems.push(`audience ${JSON.stringify(cond.StringEquals?.[`${GITHUB_OIDC_HOST}:aud`])}, not ${STS_AUDIENCE}`);
        if (JSON.stringify(subs) !== JSON.stringify([...e.subjects].sort())) problems.push(`subjects ${JSON.stringify(subs)}, not ${JSON.stringify(e.subjects)}`);
        if (problems.length > 0) out.push({ source: at(sp), message: `${label} trusts more than its own runs: ${problems.join('; ')}` });
      });
      // Permissions: only the identity's actions, only its stacks' keys and lock objects.
      // Retired stacks (TK150 judges their entries) keep their key for their applier until destroyed.
      // The objects synth derives for it (contract/state-access.ts: keys by the backend's layout, locks for a writer).
      const objects = new Set(e.permissionsPolicy.Statement.flatMap((st) => list(st.Resource).map(String)).filter((r) => r !== `arn:aws:s3:::${expected.backend.bucket}`));
      const allowed = e.access === 'read' ? READ_ACTIONS : WRITE_ACTIONS;
      const perms = isRecord(id.permissionsPolicy) ? list(id.permissionsPolicy.Statement) : [];
      perms.forEach((st, j) => {
        const sp = `${p}/permissionsPolicy/Statement/${j}`;
        if (!isRecord(st)) { out.push({ source: at(sp), message: `${label}: permission statement ${j} is not an object` }); return; }
        if (st.Effect === 'Deny') return;
        if (st.Effect !== 'Allow' || 'NotAction' in st || 'NotResource' in st || !('Action' in st) || !('Resource' in st)) {
          out.push({ source: at(sp), message: `${label}: permission statement ${j} (${JSON.stringify(Object.keys(st).sort())}) cannot be judged` });
          return;
        }
        const actions = list(st.Action).map(String);
        const bad = actions.filter((a) => !allowed.has(a));
        if (bad.length > 0) out.push({ source: at(`${sp}/Action`), message: `${label} (${e.access === 'read' ? 'a planner: read-only' : 'an applier'}) is allowed ${bad.join(', ')}` });
        for (const r of list(st.Resource).map(String)) {
          if (/[*?]/.test(r) || /\$\{/.test(r)) {
            out.push({ source: at(`${sp}/Resource`), message: `${label} reaches ${r}: a pattern (IAM reads * ? and \${…} in a resource), not one stack's state` });
            continue;
          }
          const bucketOnly = r === `arn:aws:s3:::${expected.backend.bucket}`;
          if (bucketOnly && actions.every((a) => a === 's3:ListBucket')) continue;
          if (!objects.has(r)) {
            const owner = [...g.manifest.stacks].find((s) => {
              const k = manifestStackStateKey(expected.backend, s);
              return k !== undefined && (r.endsWith(`/${k}`) || r.endsWith(`/${stateLockKey(k)}`));
            });
            out.push({
              source: at(`${sp}/Resource`),
              message: `${label} reaches ${r}${owner ? ` — the state of stack ${owner.name}, gated by ${owner.gatingTier}` : ''}, not one of its own stacks' (${[...e.stacks, ...(e.retiredStacks ?? []).map((r) => `${r} (retired)`)].join(', ')})`,
              ...(owner ? { reaches: [{ tier: owner.gatingTier, what: `the Terraform state of stack ${owner.name}` }] } : {}),
            });
          }
        }
      });
    };
    for (const e of expected.identities) {
      const found = byName.get(e.name);
      if (!found) { out.push({ source: at('/identities'), message: `${file} lacks state identity "${e.name}", which the workflows assume` }); continue; }
      for (const { id, i } of found) judge(e, id, i);
    }
    return out;
  },
};
