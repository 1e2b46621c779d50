// attack14 hole 1: `tierkit state migrate` trusts the new dist's manifest as written. It never runs
// (or re-derives) what `tierkit check` judges, and it refuses nothing about WHERE a state goes: a move
// from a stricter tier's key to a laxer tier's key is planned like any other. The new dist is the PR
// head's (docs/pr-flow.md, "Moving state keys": synthesized by the operator from the PR's code, which
// runs during synth, or taken as the PR's dist). Two hand edits of its manifest.json, each rejected
// by `tierkit check` but accepted by migrate (exit 0, a script):
//  - prod's `shop` listed as gated by dev on prod-pg (whose manifest entry says prod gates it): the
//    script copies prod's state to estate/dev/servers/prod-pg/shop.tfstate and deletes prod's key;
//  - a duplicate `shop` entry of tier dev on nonprod-pg ahead of the genuine one: `shop` is listed
//    both as unchanged AND as a move, so the script deletes the key of a stack the new dist keeps live.
// Either way prod's state lands under a dev key (the dev applier, applied automatically on merge, and
// the ungated dev planner get the grant from the same dist's state-access.json) and prod's key is gone.
// Secure behaviour asserted: the plan refuses (no move to a laxer tier's key; no stack listed twice;
// a stack's gating tier must be the one its server's entry records).
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readDist } from '../../contract/read';
import { stateMigrationPlan } from '../../contract/state-migration';
import { cleanDist, freshDir } from '../policies/helpers';

function hostile(label: string, edit: (m: any) => void): string {
  const dir = freshDir(label);
  cpSync(cleanDist(), dir, { recursive: true });
  const path = join(dir, 'manifest.json');
  const m = JSON.parse(readFileSync(path, 'utf8'));
  edit(m);
  writeFileSync(path, JSON.stringify(m, null, 2));
  return dir;
}

describe('attack14: state migrate with a hostile new dist', () => {
  it("refuses to move prod's shop state to a dev key (stack relisted as gated by dev on prod-pg)", () => {
    const head = hostile('a14-migrate-gate', (m) => { m.stacks.find((s: any) => s.name === 'shop').gatingTier = 'dev'; });
    const plan = stateMigrationPlan(readDist(cleanDist()).manifest, readDist(head).manifest);
    expect(plan.moves).not.toContainEqual(expect.objectContaining({ stack: 'shop', to: 'estate/dev/servers/prod-pg/shop.tfstate' }));
    expect(plan.refusals).not.toEqual([]);
  });

  it('refuses a new manifest listing shop twice (one copy dev on nonprod-pg): no move, no delete of a live key', () => {
    const head = hostile('a14-migrate-dup', (m) => {
      const s = m.stacks.find((x: any) => x.name === 'shop');
      m.stacks.unshift({ ...s, tier: 'dev', gatingTier: 'dev', server: 'nonprod-pg' });
    });
    const plan = stateMigrationPlan(readDist(cleanDist()).manifest, readDist(head).manifest);
    expect(plan.moves.filter((mv) => mv.from === 'estate/prod/servers/prod-pg/shop.tfstate')).toEqual([]);
    expect(plan.refusals).not.toEqual([]);
  });
});
