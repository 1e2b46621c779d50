import { beforeAll, describe, expect, it } from 'vitest';
import { computeChangeSet } from '../../diff/changeset';
import { attentionReviewItems } from '../../diff/review-items';
import { app, editKubernetes, pairDirs, read, writeEstate } from './fixtures';

/**
 * fix22b (attack22): widenings the comment must show — whom an auth role admits, a server's declared
 * address moving, a new NetworkPolicy read whole, a Service exposed — and what stays template.
 */

let baseDir: string;
beforeAll(() => {
  baseDir = writeEstate(pairDirs('widen-base').base);
});

describe('diff: reach and attention for widenings seen from the other side', () => {
  it('a stricter env\'s auth role admitting a looser namespace or a glob is reach; same tier or a stricter namespace is not', () => {
    const head = writeEstate(pairDirs('widen-admits').head, (e) => {
      app(e, 'crm').environment('preprod')!.addEscapeHatch((r) => {
        r.kubernetesAuthRole.boundServiceAccountNamespaces = ['crm-preprod', 'crm-alice', 'team-*'];
      });
      app(e, 'crm').environment('dev')!.addEscapeHatch((r) => {
        r.kubernetesAuthRole.boundServiceAccountNamespaces = ['crm-dev', 'shop-dev', 'crm-staging'];
      });
    });
    const set = computeChangeSet(read(baseDir), read(head));
    const admits = set.reach.filter((x) => x.subject.endsWith('vault_kubernetes_auth_backend_role.kubernetes_auth_role'));
    expect(admits.map((x) => [x.subject.split(':')[0], x.name, x.tier, x.targetTier])).toEqual([
      ['crm-preprod', 'crm-alice', 'dev', 'preprod'],
      ['crm-preprod', 'team-*', '(undeclared namespace)', 'preprod'],
    ]);
    expect(admits[0].message).toContain('would admit the pods of `crm-alice` (dev, engineer sandbox) to preprod\'s Vault policy `crm-preprod`');
  });

  it('a server\'s declared address moving is a severity-2 item, unless the server holds only the loosest tier', () => {
    const head = writeEstate(pairDirs('widen-server').head, (e) => {
      (e.node.tryFindChild('prod-pg') as { cidr?: string }).cidr = '10.21.5.10/32';
      (e.node.tryFindChild('local-pg') as { host?: string }).host = '127.0.0.2';
    });
    const set = computeChangeSet(read(baseDir), read(head));
    const moved = set.attention.filter((a) => a.category === 'server-address');
    expect(moved.map((a) => [a.subject, a.tier, a.details])).toEqual([['server prod-pg', 'prod', ['cidr: "10.20.5.10/32" → "10.21.5.10/32"']]]);
    expect(attentionReviewItems(moved).map((i) => i.severity)).toEqual([2]);
  });

  it('a new NetworkPolicy is read whole, an empty object added to an old one shows, and an exposed Service is an item', () => {
    const head = writeEstate(pairDirs('widen-net').head);
    editKubernetes(head, 'k8s/dev/erp-dev.k8s.yaml', (doc) => {
      if (doc.kind === 'NetworkPolicy' && doc.metadata.name === 'allow-dns') {
        doc.spec.egress.push({ to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'erp-staging' } } }] });
      }
      if (doc.kind === 'NetworkPolicy' && doc.metadata.name === 'default-deny') doc.spec.ingress = [{}];
      if (doc.kind === 'Service') doc.spec.type = 'LoadBalancer';
    });
    editKubernetes(head, 'k8s/dev/shop-dev.k8s.yaml', (doc) => {
      if (doc.kind === 'NetworkPolicy' && doc.metadata.name === 'allow-ingress-controller') {
        doc.metadata.name = 'allow-ingress-team';
        doc.spec.ingress = [{ from: [{ namespaceSelector: { matchLabels: { team: 'growth' } } }] }, { ports: [{ port: 8080 }] },
          { from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } }, podSelector: { matchLabels: { app: 'prom' } } }] }];
      }
      if (doc.kind === 'Service') doc.spec.externalIPs = ['10.0.8.1'];
    });
    const set = computeChangeSet(read(baseDir), read(head));
    const net = set.attention.filter((a) => a.category === 'network-policy' || a.category === 'service');
    expect(net.map((a) => [a.category, a.subject])).toEqual([
      ['network-policy', 'NetworkPolicy erp-dev/allow-dns'],
      ['network-policy', 'NetworkPolicy erp-dev/default-deny'],
      ['network-policy', 'NetworkPolicy shop-dev/allow-ingress-controller'],
      ['network-policy', 'NetworkPolicy shop-dev/allow-ingress-team'],
      ['service', 'Service erp-dev/erp'],
      ['service', 'Service shop-dev/shop'],
    ]);
    // The old policy's new peer-less rule is no longer invisible (an empty object is a change).
    expect(net[1].details).toEqual(['spec.ingress[0]: (none) → {}']);
    expect(net[3].details).toEqual([
      'spec.ingress[0].from[0].namespaceSelector: namespaces by label {"matchLabels":{"team":"growth"}}: any namespace labelled so',
      'spec.ingress[1]: no from: every pod of every namespace, and every address',
      'spec.ingress[2].from[0]: pods of namespace "monitoring" on every port',
    ]);
    expect(set.reach.filter((x) => x.subject === 'Service shop-dev/shop').map((x) => [x.name, x.targetTier])).toEqual([['Vault', 'prod']]);
  });
});
