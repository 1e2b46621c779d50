import { unmodelledIn, unresolvedIn } from '../contract';
import type { DistContents } from '../contract';
import type { AttentionItem } from './model';
import { said } from './markdown-text';

/**
 * What the head dist leaves unjudged, among the files the diff read (changed ones): every
 * reach-relevant value tierkit cannot resolve, every block of a type it does not model, and
 * whatever the strict reader refused on either side. `check` fails on them; the reviewer sees them here.
 */
export function unresolvedAttention(base: DistContents, head: DistContents): AttentionItem[] {
  const items: AttentionItem[] = [];
  for (const [side, dist] of [['base', base], ['head', head]] as const) {
    for (const p of dist.problems) {
      items.push({ category: 'integrity', subject: `${side} dist: ${p.file}`, message: said`${side} dist: ${p.file}${p.pointer ? `#${p.pointer}` : ''} ${p.reason}`, details: [`fix: ${p.fix}`] });
    }
  }
  const tierOf = new Map(head.manifest.stacks.map((s) => [s.name, s.tier]));
  for (const s of head.stacks) {
    const tier = tierOf.get(s.name);
    for (const u of unresolvedIn(s)) {
      items.push({ category: 'unresolved', subject: `stack ${s.name}`, stack: s.name, tier,
        message: said`${u.what} is not computed by the stack: ${u.unknown.expression}`, details: [`${u.file}#${u.pointer}: ${u.unknown.reason}`] });
    }
    for (const r of unmodelledIn(s)) {
      items.push({ category: 'unmodelled', subject: `stack ${s.name}`, stack: s.name, tier,
        message: said`${r.kind === 'data' ? 'data source' : 'resource'} ${r.address} is of a type tierkit does not model: no rule judges what it does`, details: [`${r.file}#${r.pointer}`] });
    }
  }
  const rank = ['integrity', 'unresolved', 'unmodelled'];
  return items.sort((a, b) => rank.indexOf(a.category) - rank.indexOf(b.category));
}
