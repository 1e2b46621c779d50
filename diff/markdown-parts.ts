import type { Manifest } from '../contract/manifest';
import { compareStrings } from '../constructs/synth/serialize';
import { formatValue } from './attributes';
import { CATEGORY_ORDER } from './attention';
import type { AttentionCategory, AttentionItem, ChangeSet, Counts, ResourceChange } from './model';
import { sortTiers } from './summary';

/** The pieces of the PR comment; `markdown.ts` decides which of them fit. */

export const MARKER = '<!-- tierkit-diff -->';

export const CATEGORY_TITLE: Record<AttentionCategory, string> = {
  prod: 'Prod-gated changes',
  'human-gate': 'Changes behind a human gate',
  'gate-changed': 'Apply gates changed',
  suppression: 'Policy suppressions',
  exception: 'Policy exceptions (tier loosenings, env exceptions)',
  destroy: 'Destroys',
  'meta-argument': 'Terraform meta-arguments (count, for_each, provider, lifecycle)',
  ownership: 'Ownership changes',
  membership: 'Role membership changes',
  grant: 'Privilege grants',
  'role-attributes': 'Role attributes',
  statements: 'Creation / revocation statements',
  'allowed-roles': 'allowed_roles',
  connection: 'Connection targets (providers, Vault database connections)',
  'vault-policy': 'Vault policies',
  'auth-role': 'Vault auth roles',
  'network-policy': 'Network policies',
  'sandbox-added': 'New sandboxes',
  'sandbox-removed': 'Removed sandboxes',
  'sandbox-changed': 'Changed sandboxes',
  integrity: 'dist/ integrity (files tierkit did not write, edited files)',
  unresolved: 'Values tierkit cannot resolve (check fails on them)',
  unmodelled: 'Resource types tierkit does not model',
};

const SIGN = { add: '+', change: '~', destroy: '−' } as const;

/** Free text in Markdown/HTML: no tag or table injection from attribute values. */
export function text(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\|/g, '\\|');
}

export function code(s: string): string {
  return `\`${s.replace(/`/g, "'").replace(/\|/g, '\\|').replace(/\n/g, '\\n')}\``;
}

function counts(c: Counts): string {
  return `${c.add} / ${c.change} / ${c.destroy}`;
}

export function header(set: ChangeSet, reportHint: string | undefined): string {
  const stacks = set.affectedStacks.length;
  const rs = set.resources.filter((r) => !(r.kind === 'terraform' && !r.address.includes('.')));
  const n = (a: string) => rs.filter((r) => r.action === a).length;
  const lines = [
    MARKER,
    `## tierkit diff — ${text(set.estate)}`,
    '',
    `**${stacks} stack${stacks === 1 ? '' : 's'} affected** · ${n('add')} to add, ${n('change')} to change, ${n('destroy')} to destroy · ` +
      `**${set.attention.length} item${set.attention.length === 1 ? '' : 's'} need${set.attention.length === 1 ? 's' : ''} attention**`,
  ];
  if (reportHint) lines.push('', `Full change set (JSON): ${reportHint}`);
  return lines.join('\n');
}

export function noChanges(set: ChangeSet): string {
  return `${MARKER}\n## tierkit diff — ${text(set.estate)}\n\nNo changes: both dists declare the same infrastructure.\n`;
}

function groupByCategory(items: readonly AttentionItem[]): [AttentionCategory, AttentionItem[]][] {
  return CATEGORY_ORDER.map((c) => [c, items.filter((i) => i.category === c)] as [AttentionCategory, AttentionItem[]]).filter(([, xs]) => xs.length > 0);
}

/** Attention, at a level of detail: `full` (every detail line), `short` (some), `line` (one line each), `grouped`. */
export type AttentionStyle = 'full' | 'short' | 'line' | 'grouped';

export function attention(items: readonly AttentionItem[], style: AttentionStyle): string {
  if (items.length === 0) return '### Needs attention\n\nNothing: no privilege, network, gate or destroy change.';
  const out = [`### ⚠️ Needs attention (${items.length})`];
  for (const [category, xs] of groupByCategory(items)) {
    out.push('', `#### ${CATEGORY_TITLE[category]} (${xs.length})`);
    if (style === 'grouped') {
      out.push('', xs.map((i) => code(i.subject)).join(', '));
      continue;
    }
    out.push('');
    for (const i of xs) {
      out.push(`- **${text(i.subject)}** — ${text(i.message)}`);
      if (style === 'line' || i.details.length === 0) continue;
      const keep = style === 'full' ? i.details.length : Math.min(3, i.details.length);
      const shown = i.details.slice(0, keep).map((d) => (style === 'full' || d.length <= 160 ? d : `${d.slice(0, 159)}…`));
      if (keep < i.details.length) shown.push(`… ${i.details.length - keep} more line(s) in the JSON report`);
      out.push('  ```diff', ...shown.map((d) => `  ${d.replace(/```/g, "'''")}`), '  ```');
    }
  }
  return out.join('\n');
}

export function summaryTable(set: ChangeSet, base: Manifest, head: Manifest): string {
  const gate = (tier: string) => (head.tiers.find((t) => t.name === tier) ?? base.tiers.find((t) => t.name === tier))?.applyGate.name ?? '—';
  const rows = set.summary.map((s) => `| ${text(s.tier)} | ${text(gate(s.tier))} | ${counts(s.stacks)} | ${counts(s.resources)} | ${counts(s.kubernetes)} |`);
  return [
    '### Summary by tier',
    '',
    '| tier | apply gate | stacks + / ~ / − | resources + / ~ / − | Kubernetes objects + / ~ / − |',
    '|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

function nodeId(s: string): string {
  return s.replace(/[^A-Za-z0-9]/g, '_');
}

/** Affected tiers → apps (a platform stack counts as its own "app"), edges labelled with counts. */
export function mermaid(set: ChangeSet, base: Manifest, head: Manifest): string {
  const edges = new Map<string, Map<string, Counts>>();
  for (const r of set.resources) {
    if (r.kind === 'terraform' && !r.address.includes('.')) continue; // stack settings are not resources
    const tier = r.tier ?? '(unlisted)';
    const app = r.app ?? (r.kind === 'terraform' ? r.stack : r.file.includes('/argocd') ? 'argocd' : r.file);
    const apps = edges.get(tier) ?? new Map<string, Counts>();
    const c = apps.get(app) ?? { add: 0, change: 0, destroy: 0 };
    c[r.action]++;
    apps.set(app, c);
    edges.set(tier, apps);
  }
  const lines = ['### Affected tiers and apps', '', '```mermaid', 'graph LR'];
  for (const tier of sortTiers([head, base], edges.keys())) {
    lines.push(`  t_${nodeId(tier)}["${tier.replace(/"/g, '#quot;')}"]`);
    const apps = edges.get(tier)!;
    for (const app of [...apps.keys()].sort(compareStrings)) {
      const c = apps.get(app)!;
      lines.push(`  t_${nodeId(tier)} -->|"+${c.add} ~${c.change} −${c.destroy}"| a_${nodeId(app)}["${app.replace(/"/g, '#quot;')}"]`);
    }
  }
  lines.push('```');
  return lines.join('\n');
}

function title(r: ResourceChange): string {
  const where = r.kind === 'terraform' ? `${r.stack}: ${r.address}` : `${r.objectKind} ${r.namespace ? `${r.namespace}/` : ''}${r.name}`;
  return `${SIGN[r.action]} ${where}`;
}

/** One collapsible section per resource; `withAttributes` false keeps only the changed paths' names. */
export function resourceSection(r: ResourceChange, withAttributes: boolean): string {
  const where = `${r.tier ?? '(unlisted)'} · ${r.file}`;
  const head = `<details><summary><code>${text(title(r))}</code> <sub>${text(where)}</sub></summary>\n`;
  if (!withAttributes) {
    const paths = r.changes.map((c) => c.path);
    const shown = paths.slice(0, 12).map(code).join(', ') + (paths.length > 12 ? ` … ${paths.length - 12} more` : '');
    return `${head}\n${shown}\n\n</details>`;
  }
  const rows = r.changes.map((c) => `| ${code(c.path)} | ${c.before === undefined ? '' : code(formatValue(c.before, 200))} | ${c.after === undefined ? '' : code(formatValue(c.after, 200))} |`);
  return `${head}\n| attribute | before | after |\n|---|---|---|\n${rows.join('\n')}\n\n</details>`;
}

export function resourceSections(set: ChangeSet, withAttributes: boolean): string {
  const shown = set.resources.filter((r) => !(r.kind === 'terraform' && r.changes.length === 0));
  return ['### Changes', '', ...shown.map((r) => resourceSection(r, withAttributes))].join('\n');
}
