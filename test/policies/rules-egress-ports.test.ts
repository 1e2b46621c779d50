// Egress allow lists with ports (issue 21): a tier's targets render with `ports`, and a live tier's
// egress names its ports (TK048). Each failing fixture is a change a PR author can make: a tier
// setting, a suppression, a hand edit of dist/ with the hashes rewritten.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadAll } from 'js-yaml';
import { check, cleanDist, findings, synthDist } from './helpers';
import { DistEdit } from './dist-edit';
import { Estate, Tier, validateEstate } from '../../constructs';

const PROD_ERP = 'k8s/prod/erp.k8s.yaml';
const DEV_ERP = 'k8s/dev/erp-dev.k8s.yaml';
const egressOf = (dir: string, rel: string, name: string) => (loadAll(readFileSync(join(dir, rel), 'utf8')) as any[])
  .find((d) => d?.kind === 'NetworkPolicy' && d.metadata.name === name)?.spec.egress;
const messages = (report: Awaited<ReturnType<typeof check>>, id: string) => findings(report, id).map((f) => f.message).sort();

describe('egress targets with ports, and TK048 on the live tier', () => {
  it('the example: prod\'s listed egress carries its declared ports; the manifest declares them; check passes', async () => {
    const dist = cleanDist();
    expect(egressOf(dist, PROD_ERP, 'allow-egress-listed')).toEqual([
      { to: [{ ipBlock: { cidr: '10.20.0.0/16' } }], ports: [{ protocol: 'TCP', port: 443 }, { protocol: 'TCP', port: 587 }] },
    ]);
    // A port-less entry of a lower tier renders as before.
    expect(egressOf(dist, DEV_ERP, 'allow-egress-listed')).toEqual([{ to: [{ ipBlock: { cidr: '10.10.0.0/16' } }] }]);
    const prod = JSON.parse(readFileSync(join(dist, 'manifest.json'), 'utf8')).tiers.find((t: any) => t.name === 'prod');
    expect(prod.egressAllowList).toEqual(['10.20.0.0/16']);
    expect(prod.egressTargets).toEqual([{ cidr: '10.20.0.0/16', ports: [{ protocol: 'TCP', port: 443 }, { protocol: 'TCP', port: 587 }] }]);
    const report = await check(dist);
    expect(findings(report, 'TK048')).toEqual([]);
    expect(findings(report, 'TK011')).toEqual([]);
  });

  it('catches a port-less allow list on prod (estate props); TK048 cannot be suppressed', async () => {
    const dir = synthDist((e) => {
      const s = e.tierSettings.find((t) => t.tier === Tier.PROD)!;
      // What an author reverting to a port-less list writes (props are read once; this is the same shape).
      Object.assign(s, { egressAllowList: ['10.20.0.0/16'], egressTargets: undefined });
    });
    const report = await check(dir);
    expect(messages(report, 'TK048')).toEqual(['crm', 'erp', 'shop'].map((app) =>
      `NetworkPolicy ${app}/allow-egress-listed (${app} (tier prod)) allows egress to 10.20.0.0/16 with no ports: every port`));
    expect(report.rules.find((r) => r.id === 'TK048')!.suppressible).toBe(false);
  });

  it('catches hand edits on prod: a port added, a range, a named port, a peer by namespace, a rule to everywhere', async () => {
    const dir = new DistEdit('tk048').object(PROD_ERP, 'NetworkPolicy', 'allow-egress-listed', (o) => {
      o.spec.egress[0].ports.push({ protocol: 'TCP', port: 22 });
      o.spec.egress.push({ to: [{ ipBlock: { cidr: '10.20.4.0/24' } }], ports: [{ protocol: 'TCP', port: 8000, endPort: 9000 }] });
      o.spec.egress.push({ to: [{ ipBlock: { cidr: '10.20.4.0/24' } }], ports: [{ protocol: 'TCP', port: 'https' }] });
      o.spec.egress.push({ to: [{ namespaceSelector: {} }], ports: [{ protocol: 'TCP', port: 443 }] });
      o.spec.egress.push({ ports: [{ protocol: 'TCP', port: 443 }] });
    }).dir;
    expect(messages(await check(dir), 'TK048')).toEqual([
      'NetworkPolicy erp/allow-egress-listed (erp (tier prod)) allows egress to 10.20.0.0/16 on TCP/22, not among its declared ports [TCP/443, TCP/587]',
      'NetworkPolicy erp/allow-egress-listed (erp (tier prod)) allows egress to 10.20.4.0/24 on the port "https" (named or absent: every port)',
      'NetworkPolicy erp/allow-egress-listed (erp (tier prod)) allows egress to 10.20.4.0/24 on the port range 8000–9000',
      'NetworkPolicy erp/allow-egress-listed (erp (tier prod)) allows egress to every destination',
      'NetworkPolicy erp/allow-egress-listed (erp (tier prod)) allows egress to {"namespaceSelector":{}}: only declared networks (egressTargets) are judged by port',
    ]);
  });

  it('TK011 holds a lower tier to its declared target ports too; its port-less entries stay open on any port', async () => {
    const dir = synthDist((e) => {
      const s = e.tierSettings.find((t) => t.tier === Tier.DEV)!;
      Object.assign(s, { egressAllowList: [], egressTargets: [{ cidr: '10.10.0.0/16', ports: [{ protocol: 'TCP', port: 443 }] }] });
    });
    expect(egressOf(dir, DEV_ERP, 'allow-egress-listed')).toEqual([{ to: [{ ipBlock: { cidr: '10.10.0.0/16' } }], ports: [{ protocol: 'TCP', port: 443 }] }]);
    expect(findings(await check(dir), 'TK011')).toEqual([]);
    const edited = new DistEdit('tk011-ports', dir).object(DEV_ERP, 'NetworkPolicy', 'allow-egress-listed', (o) => { delete o.spec.egress[0].ports; }).dir;
    expect(messages(await check(edited), 'TK011')).toEqual(['NetworkPolicy erp-dev/allow-egress-listed allows egress to 10.10.0.0/16 with no ports: every port']);
  });

  it('validates targets: canonical CIDR, at least one port, a port number, a CIDR listed once — each naming path, property, value and fix', () => {
    const e = new Estate({
      name: 'eg', domain: 'eg.lab', vault: { address: 'https://vault.eg.lab' },
      argocd: { repoUrl: 'https://git.eg.lab/estate.git' }, ci: { repository: 'eg/estate', repositoryId: '100011' },
      tiers: [{
        tier: Tier.STAGING, reason: 'staging reaches its relays on HTTPS',
        egressAllowList: ['10.30.0.0/16'],
        egressTargets: [
          { cidr: '10.30.0.1/16', ports: [{ protocol: 'TCP', port: 443 }] },
          { cidr: '10.30.0.0/16', ports: [] },
          { cidr: '10.40.0.0/16', ports: [{ protocol: 'TCP', port: 70000 }] },
        ],
      }],
    });
    expect(validateEstate(e).map((x) => `${x.path}: ${x.property} = ${JSON.stringify(x.value)}: ${x.message} (${x.fix})`)).toEqual([
      'eg: tiers[0].egressTargets[0].cidr = "10.30.0.1/16": is not a CIDR without host bits (Kubernetes refuses it in an ipBlock) (use the network, e.g. "10.30.0.0/16")',
      'eg: tiers[0].egressTargets[1].cidr = "10.30.0.0/16": is listed twice (in egressAllowList or another target) (declare each destination once, with all its ports)',
      'eg: tiers[0].egressTargets[1].ports = []: is empty: a NetworkPolicy rule without ports opens every port (list the ports, e.g. [{ protocol: "TCP", port: 443 }])',
      'eg: tiers[0].egressTargets[2].ports[0].port = 70000: is not a port number (1–65535) (e.g. 443)',
    ]);
    const typo = new Estate({
      name: 'eg', domain: 'eg.lab', vault: { address: 'https://vault.eg.lab' },
      argocd: { repoUrl: 'https://git.eg.lab/estate.git' }, ci: { repository: 'eg/estate', repositoryId: '100011' },
      tiers: [{ tier: Tier.STAGING, reason: 'staging reaches its relays', egressTargets: [{ cidr: '10.30.0.0/16', ports: [{ protocol: 'SCTP', port: 443 }] }] as never }],
    });
    expect(validateEstate(typo).map((x) => x.property)).toContain('tiers[0].egressTargets[0].ports[0].protocol');
  });
});
