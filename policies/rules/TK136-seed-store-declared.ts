import { hostKey } from '../../contract/hosts';
import { isReason } from '../../contract/tiers';
import { Rule, RuleContext, RuleFinding } from './support/rule';
import type { EstateGraph } from '../graph/types';

/** tierkit's default store, derived from the estate's domain (constructs/estate.ts). */
const DEFAULT_EXPORT_ROOT = '/tierkit-seeds';

export const rule: Rule = {
  id: 'TK136',
  name: 'seed-store-declared',
  severity: 'error',
  title: 'The seed store is tierkit\'s default, or a reasoned declaration shown in every report',
  explanation:
    'Every seed is written to and read from the seed store: the golden dump writes prod\'s scrubbed rows there, every '
    + 'reset reads its dump from there. TK130–TK135 judge volumes against the store the manifest names, so whoever '
    + 'names the store decides where prod\'s data goes: an estate author pointing `seedStore` at a server they run '
    + 'receives the golden at its next dump, and every rule still passes. The published hashes stop a swapped dump '
    + 'from being restored; nothing in dist/ stops the copy. So a store other than the default '
    + '`seeds.<domain>:/tierkit-seeds` (`<domain>` being the one every env\'s host and every Ingress is served at, not '
    + 'the manifest\'s word alone) is declared with why (who runs it, who can write its exports) and listed as a '
    + 'reasoned exception in every report; `tierkit diff` flags any change of it for review. A manifest without a store, '
    + 'or with one tierkit cannot read, is a finding.',
  fix: 'Remove `seedStore` to use the default, or give `seedStore.reason` (who runs the server, who can write its exports).',
  suppressible: false,
  evaluate(g: EstateGraph, ctx: RuleContext) {
    const out: RuleFinding[] = [];
    const source = { file: 'manifest.json', pointer: '/estate/seedStore' };
    const { domain, seedStore: store } = g.manifest.estate;
    if (!store || typeof store.server !== 'string' || typeof store.exportRoot !== 'string') {
      out.push({ source, message: `the manifest names no readable seed store (${JSON.stringify(store ?? null)}): where every seed is written and read cannot be judged` });
      return out;
    }
    // The manifest's domain alone is one hand edit away: the default is the store of the domain every
    // app is served at (`<app>-<env>.<domain>`, constructs/estate.ts), read from every env's host and every Ingress in dist.
    const off = typeof domain === 'string' ? offDomainHosts(g, domain) : [];
    const isDefault = typeof domain === 'string' && hostKey(store.server) === hostKey(`seeds.${domain}`) && store.exportRoot === DEFAULT_EXPORT_ROOT
      && off.length === 0;
    const where = `${store.server}:${store.exportRoot}`;
    if (store.reason !== undefined && !isReason(store.reason)) {
      out.push({ source: { ...source, pointer: `${source.pointer}/reason` }, message: `the seed store's reason ${JSON.stringify(store.reason)} is no reason (a string of at least 10 characters)` });
      return out;
    }
    if (isDefault && store.reason === undefined) return out;
    if (store.reason !== undefined) {
      ctx.exempt({ subject: `seed store ${where}${isDefault ? '' : ` (default seeds.${domain}:${DEFAULT_EXPORT_ROOT})`}`, reason: store.reason, source });
      return out;
    }
    out.push({
      source,
      message: `the seed store is ${where}, not tierkit's default seeds.${domain}:${DEFAULT_EXPORT_ROOT}`
        + `${off.length > 0 ? ` (the apps are not served at ${domain}: ${off.slice(0, 3).join(', ')}${off.length > 3 ? ', …' : ''})` : ''}, and no reason says who runs it: every seed, prod's scrubbed golden included, is written there`,
    });
    return out;
  },
};

/** Env and Ingress hosts of dist/ outside `domain` (or unreadable), sorted: the domain the estate's apps are served at is not it. */
function offDomainHosts(g: EstateGraph, domain: string): string[] {
  const off = new Set<string>();
  // Each env's own host (manifest), which TK059 holds every Ingress rule to.
  for (const e of g.envs) if (typeof e.names?.host !== 'string' || !hostKey(e.names.host).endsWith(`.${hostKey(domain)}`)) off.add(String(e.names?.host));
  for (const o of g.kubernetes) {
    if (o.kind !== 'Ingress') continue;
    const spec = o.object.spec ?? {};
    const hosts = [...(Array.isArray(spec.rules) ? spec.rules : []).map((r: any) => r?.host),
      ...(Array.isArray(spec.tls) ? spec.tls : []).flatMap((t: any) => (Array.isArray(t?.hosts) ? t.hosts : [undefined]))];
    for (const h of hosts) if (typeof h !== 'string' || !hostKey(h).endsWith(`.${hostKey(domain)}`)) off.add(String(h));
  }
  return [...off].sort();
}
