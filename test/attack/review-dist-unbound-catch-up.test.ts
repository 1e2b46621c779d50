// attack17: the `tierkit review` status judges the dist the PR run UPLOADED, which the PR author's
// workflow produces at will; nothing at review time ties it to what the head commit synthesizes
// (the review may not run head code). The only tie is after the merge: locate compares main's
// synthesized manifest with the index's distSha256 and refuses the run. But the merged change is
// then on main, and the NEXT push's locate "catches up" every stack behind its last apply, re-planned
// from main (docs/pr-flow.md, Open points) — automatic tiers with no approval at all. Main's own
// synthesized dist is never put through `tierkit check` by the apply workflow: a policy-violating
// estate change, reviewed as a clean forged dist (green required check, a comment describing the
// forged dist), is applied by the next unrelated merge without any rule ever judging it.
// Secure behaviour asserted: locate runs main's tierkit check on main's own synthesized dist before
// anything is planned or applied (or catch-up refuses a stack whose change locate once refused).
import { describe, expect, it } from 'vitest';
import { synthesize } from '../../constructs/synth/synthesize';
import estate from '../../environments';
import { workflows } from '../ci/support';

describe("attack17: the review's green status is for an uploaded dist; the apply never checks main's", () => {
  it("locate judges main's synthesized dist with tierkit check before the plans and catch-ups", () => {
    const { apply } = workflows(synthesize(estate()).manifest);
    const locate = Object.entries(apply.jobs as Record<string, any>).find(([id]) => id === 'locate')?.[1];
    expect(locate, Object.keys(apply.jobs).join(', ')).toBeDefined();
    const runs = locate.steps.map((s: any) => String(s.run ?? ''));
    const synth = runs.findIndex((r: string) => /tierkit synth --out dist\b/.test(r));
    const checked = runs.findIndex((r: string) => /tierkit check (\.\/)?dist\b/.test(r));
    expect(synth).toBeGreaterThanOrEqual(0);
    expect(checked, 'no step of locate runs `tierkit check dist` on main\'s synthesized dist').toBeGreaterThan(synth);
  });
});
