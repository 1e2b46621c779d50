import type { ManifestBackend } from '../../contract/manifest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App as K8sApp } from 'cdk8s';
import { Construct } from 'constructs';
import { stringify } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { generateEstate } from '../../bench/generate';
import { App, AppEnvironment, Backend, Estate, Sandbox, SandboxKind, SandboxReset, Tier } from '../../constructs';
import { LocalBackend, PostgresqlGrant, PostgresqlRole, TerraformApp, TerraformResource } from '../../constructs/cdktf';
import { describeAppEnvironmentStack } from '../../constructs/synth/app-environment-stack';
import { cdktfConfig } from '../../constructs/synth/cdktf-config';
import { environmentsOf } from '../../constructs/query';
import { buildAppOfAppsChart, buildEnvironmentChart, buildTierApplicationsChart } from '../../constructs/synth/kubernetes';
import { RENAMED_L1_PROPERTIES, plainChartJson } from '../../constructs/synth/kubernetes-json';
import { environmentsOf as envsOf, tiersInUse } from '../../constructs/query';
import { canonicalJson, sortKeys, yamlStream } from '../../constructs/synth/serialize';
import { stackJson, synthesize } from '../../constructs/synth/synthesize';
import { buildAppEnvironmentStack } from '../../constructs/synth/terraform-app-environment';
import { plainAppEnvironmentStack } from '../../constructs/synth/terraform-app-environment-plain';
import { fastYamlDocument } from '../../contract/yaml-write';
import exampleEstate from '../../environments';
import { smallApp, smallEstate } from '../support/estates';

// The fast synthesis paths must write what cdktf + `yaml` write, byte for byte: every env of the
// example, the small test estate (local backend, superuser and managed servers) and a bench estate
// (every tier, sandboxes, golden dumps, resets, caps, S3 backend) is rendered both ways.
const scratch = mkdtempSync(join(tmpdir(), 'tierkit-plain-stack-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function small(): Estate {
  const e = smallEstate();
  smallApp(e);
  return e;
}

/** An app with per-PR previews on the managed dev server (docs/previews.md). */
function withPreviews(): Estate {
  const e = smallEstate();
  new App(e, 'shop', { tiers: [Tier.DEV, Tier.PROD], objectPrefix: 'shop_', image: 'example/shop:1.0.0@sha256:' + 'e'.repeat(64), previews: { tier: Tier.DEV, maxOpen: 2 } });
  return e;
}

/** Template-reset sandboxes (issue 19): one on the managed dev server, one on the superuser prod server. */
function withTemplateReset(): Estate {
  const e = smallEstate();
  const app = smallApp(e);
  const prodPg = e.servers.find((s) => s.serverId === 'prod-pg')!;
  new Sandbox(app, 'fast', { tier: Tier.DEV, kind: SandboxKind.ENGINEER, owner: 'alice', createdAt: '2026-11-21', reset: SandboxReset.TEMPLATE });
  new Sandbox(app, 'sandbox', { tier: Tier.DEV, kind: SandboxKind.APP, owner: 'alice', createdAt: '2026-11-21', server: prodPg, reset: SandboxReset.TEMPLATE });
  return e;
}

const ESTATES: [string, () => Estate][] = [
  ['example', exampleEstate],
  ['small (local backend)', small],
  ['small with previews (managed server)', withPreviews],
  ['small with template-reset sandboxes (managed and superuser servers)', withTemplateReset],
  ['bench', () => generateEstate({ apps: 8, sandboxes: 12, seed: 7 })],
];

describe('app-environment stacks written without cdktf', () => {
  for (const [label, make] of ESTATES) {
    it(`are byte-identical to cdktf's, env by env: ${label}`, () => {
      // One cdktf App per estate: stack names repeat across estates.
      const tfApp = new TerraformApp({ stackTraces: false, outdir: scratch });
      const envs = environmentsOf(make());
      expect(envs.length).toBeGreaterThan(1);
      for (const env of envs) {
        const plain = plainAppEnvironmentStack(env);
        expect(plain, env.slug).toBeDefined();
        expect(canonicalJson(plain), env.slug).toBe(stackJson(buildAppEnvironmentStack(tfApp, env).stack));
      }
    });
  }

  it('were compared on every shape a stack takes (else the comparison above proves less than it says)', () => {
    const shapes = new Set<string>();
    for (const [, make] of ESTATES) {
      for (const env of environmentsOf(make())) {
        const json = canonicalJson(plainAppEnvironmentStack(env));
        for (const marker of ['golden_dump_role', 'reset_auth_role', 'provider_owner_membership', 'pg_admin_username', 'connection_limit', '"s3"', '"local"']) {
          if (json.includes(marker)) shapes.add(marker);
        }
        if (!json.includes('provider_owner_membership')) shapes.add('superuser');
      }
    }
    expect([...shapes].sort()).toEqual(['"local"', '"s3"', 'connection_limit', 'golden_dump_role', 'pg_admin_username', 'provider_owner_membership', 'reset_auth_role', 'superuser']);
  });

  it('leave an env with escape hatches to cdktf: additions and overrides land exactly as before', () => {
    const e = exampleEstate();
    const env = e.node.findAll().find((c): c is AppEnvironment => c instanceof AppEnvironment && c.slug === 'crm-dev')!;
    env.addEscapeHatch((r) => {
      new PostgresqlGrant(r.stack, 'extra_temp', { database: r.database.name, role: r.groupRole.name, objectType: 'database', privileges: ['TEMPORARY'] });
      r.database.addOverride('lifecycle.prevent_destroy', true);
    });
    expect(plainAppEnvironmentStack(env)).toBeUndefined();
    const stack = JSON.parse(synthesize(e).files.get(`terraform/${env.stackName}/cdk.tf.json`)!);
    expect(stack.resource.postgresql_grant.extra_temp.depends_on).toEqual(['postgresql_grant_role.provider_owner_membership']);
    expect(stack.resource.postgresql_database.database.lifecycle).toEqual({ prevent_destroy: true });
  });

  it('are one description: the cdktf path refuses an attribute its class would silently drop, and hands escape hatches every resource typed', () => {
    // A generated class ignores a config key it has no property for: the stack would lose it on one path only.
    expect(() => cdktfConfig(PostgresqlRole, 'postgresql_role.x', { name: 'x', conection_limit: 3 })).toThrow(/postgresql_role\.x has attribute conectionLimit, which cdktf's Role does not know/);
    expect(cdktfConfig(PostgresqlRole, 'postgresql_role.x', { name: 'x', password_wo_version: '1' })).toEqual({ name: 'x', passwordWoVersion: '1' });
    const tfApp = new TerraformApp({ stackTraces: false, outdir: scratch });
    for (const env of environmentsOf(generateEstate({ apps: 8, sandboxes: 12, seed: 7 }))) {
      const described = describeAppEnvironmentStack(env).resources.map((r) => `${r.type}.${r.id}`).sort();
      const built = buildAppEnvironmentStack(tfApp, env).stack.node.findAll()
        .filter((c): c is TerraformResource => c instanceof TerraformResource).map((c) => `${c.terraformResourceType}.${c.node.id}`).sort();
      expect(built, env.slug).toEqual(described);
    }
  });

  it('leave a value that is a cdktf token to cdktf, which resolves it as before', async () => {
    const { Fn, Token } = await import('cdktf');
    const e = smallEstate({ vault: { address: Token.asString(Fn.lower('HTTPS://VAULT.TEST.LAB')) } });
    smallApp(e);
    const env = environmentsOf(e)[0];
    expect(plainAppEnvironmentStack(env)).toBeUndefined();
    const stack = JSON.parse(synthesize(e).files.get(`terraform/${env.stackName}/cdk.tf.json`)!);
    expect(stack.provider.vault[0].address).toBe('${lower("HTTPS://VAULT.TEST.LAB")}');
  });

  it('leave a backend of the caller\'s own to cdktf', () => {
    class Elsewhere extends Backend {
      attach(stack: Construct): void {
        new LocalBackend(stack, { path: 'elsewhere.tfstate' });
      }
      describe(): ManifestBackend {
        return { type: 'local' };
      }
    }
    const e = smallEstate({ backend: new Elsewhere() });
    smallApp(e);
    const env = environmentsOf(e)[0];
    expect(plainAppEnvironmentStack(env)).toBeUndefined();
    const stack = JSON.parse(synthesize(e).files.get(`terraform/${env.stackName}/cdk.tf.json`)!);
    expect(stack.terraform.backend).toEqual({ local: { path: 'elsewhere.tfstate' } });
  });
});

describe('Kubernetes objects rendered without cdk8s\'s synthesis', () => {
  for (const [label, make] of ESTATES) {
    it(`are the objects chart.toJson() renders, chart by chart: ${label}`, () => {
      const estate = make();
      const envs = envsOf(estate);
      const charts = [
        ...envs.map((env) => () => buildEnvironmentChart(new K8sApp({ outdir: scratch }), env)),
        ...tiersInUse(estate).flatMap((t) => [
          () => buildTierApplicationsChart(new K8sApp({ outdir: scratch }), estate, t, envs.filter((e) => e.tier === t)),
          () => buildAppOfAppsChart(new K8sApp({ outdir: scratch }), estate, t),
        ]),
      ];
      for (const chart of charts) {
        const fast = plainChartJson(chart());
        expect(fast).toBeDefined();
        expect(sortKeys(fast)).toEqual(sortKeys(chart().toJson()));
      }
    });
  }

  it('knows every property the generated L1 mapping renames (re-derived from cdk8s-plus\'s k8s.js)', () => {
    const source = readFileSync(require.resolve('cdk8s-plus-32/lib/imports/k8s'), 'utf8');
    const renamed = new Set<string>();
    for (const m of source.matchAll(/'([^']+)': [^\n]*?obj\.([A-Za-z0-9_]+)\b/g)) if (m[1] !== m[2]) renamed.add(m[2]);
    expect([...renamed].sort()).toEqual([...RENAMED_L1_PROPERTIES].sort());
  });

  it('leaves to cdk8s what it does not model: a renamed property elsewhere, a patch, a dependency, a token', async () => {
    const { ApiObject, Chart, JsonPatch, Lazy } = await import('cdk8s');
    const k8s = await import('cdk8s-plus-32/lib/imports/k8s');
    const chart = (fill: (c: InstanceType<typeof Chart>) => void) => {
      const c = new Chart(new K8sApp({ outdir: scratch }), 'c', { disableResourceNameHashes: true });
      fill(c);
      return c;
    };
    expect(plainChartJson(chart((c) => new k8s.KubeConfigMap(c, 'm', { metadata: { name: 'm', labels: { downwardApi: 'x' } } })))).toBeUndefined();
    expect(plainChartJson(chart((c) => new k8s.KubeConfigMap(c, 'm', { metadata: { name: 'm' } }).addJsonPatch(JsonPatch.add('/data', { a: 'b' }))))).toBeUndefined();
    expect(plainChartJson(chart((c) => {
      const a = new k8s.KubeConfigMap(c, 'a', { metadata: { name: 'a' } });
      new k8s.KubeConfigMap(c, 'b', { metadata: { name: 'b' } }).addDependency(a);
    }))).toBeUndefined();
    expect(plainChartJson(chart((c) => new k8s.KubeConfigMap(c, 'm', { metadata: { name: 'm' }, data: { a: Lazy.any({ produce: () => 'x' }) as unknown as string } })))).toBeUndefined();
    expect(plainChartJson(chart((c) => new ApiObject(c, 'o', { apiVersion: 'v1', kind: 'X', spec: { port: k8s.IntOrString.fromNumber(1) } })))).toBeUndefined();
    // …and what it models it renders as cdk8s does.
    const ok = chart((c) => new k8s.KubeConfigMap(c, 'm', { metadata: { name: 'm', labels: { a: 'b' } }, data: { x: 'y' } }));
    expect(plainChartJson(ok)).toEqual(ok.toJson());
  });
});

describe('Kubernetes manifests written by the fast YAML emitter', () => {
  for (const [label, make] of ESTATES) {
    it(`are byte-identical to yaml.stringify's, and never fall back: ${label}`, () => {
      for (const env of environmentsOf(make())) {
        const docs = buildEnvironmentChart(new K8sApp({ outdir: scratch }), env).toJson();
        for (const d of docs) expect(fastYamlDocument(sortKeys(d)), env.slug).toBeDefined();
        expect(yamlStream(docs)).toBe(docs.map((d) => stringify(sortKeys(d), { lineWidth: 0 })).join('---\n'));
      }
    });
  }

});

describe('a whole synth through the fast paths', () => {
  for (const [label, make] of ESTATES) {
    it(`writes the same files, byte for byte, as through cdktf and yaml alone: ${label}`, () => {
      const fast = synthesize(make()).files;
      const reference = synthesize(make(), { reference: true }).files;
      expect([...fast.keys()].sort()).toEqual([...reference.keys()].sort());
      for (const [path, content] of reference) expect(fast.get(path), path).toBe(content);
    });
  }
});
