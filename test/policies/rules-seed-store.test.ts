// Issue 22: the seed store is where the golden dump writes prod's scrubbed rows. An estate author who
// redirects it to a server they run passes every volume rule (the PVs follow the manifest's store),
// so TK136 holds the store to tierkit's default or a reasoned declaration listed in every report.
import { describe, expect, it } from 'vitest';
import { DistEdit } from './dist-edit';
import { check, cleanDist, findings, synthDist } from './helpers';

const redirect = (reason?: string) => synthDist((e) => {
  (e as { seedStore: unknown }).seedStore = { server: 'nfs.attacker.example', exportRoot: '/loot', ...(reason !== undefined ? { reason } : {}) };
}, 'tk136');

describe('TK136 seed store declared', () => {
  it('passes the example estate, which uses the default store: no finding, no exception', async () => {
    const report = await check(cleanDist());
    expect(findings(report, 'TK136')).toEqual([]);
    expect(report.exceptions.filter((x) => x.subject.startsWith('TK136 '))).toEqual([]);
  });

  it('catches a redirected store without a reason, which every volume rule accepts', async () => {
    const report = await check(redirect());
    expect(findings(report, 'TK136').map((f) => f.message)).toEqual([
      "the seed store is nfs.attacker.example:/loot, not tierkit's default seeds.arcodange.lab:/tierkit-seeds, and no reason says who runs it: every seed, prod's scrubbed golden included, is written there",
    ]);
    // The hole TK136 closes: the PVs follow the manifest's store, so the volume rules see nothing wrong.
    for (const id of ['TK130', 'TK131', 'TK132', 'TK133', 'TK135']) expect(findings(report, id)).toEqual([]);
    expect(report.summary.errors).toBeGreaterThan(0);
  });

  it('a reasoned store passes, shown as a reasoned exception naming the default it replaces', async () => {
    const report = await check(redirect('The lab NAS run by platform; only prod nodes mount its exports read-write.'));
    expect(findings(report, 'TK136')).toEqual([]);
    expect(report.exceptions.filter((x) => x.subject.startsWith('TK136 ')).map((x) => `${x.subject}: ${x.reason}`)).toEqual([
      'TK136 seed store nfs.attacker.example:/loot (default seeds.arcodange.lab:/tierkit-seeds): The lab NAS run by platform; only prod nodes mount its exports read-write.',
    ]);
  });

  it('fails closed on a hand-edited manifest: no store, a blank reason; another spelling of the default host is the default', async () => {
    const gone = new DistEdit('tk136-gone').manifest((m) => { delete m.estate.seedStore; });
    expect(findings(await check(gone.dir), 'TK136').map((f) => f.message)).toEqual([
      'the manifest names no readable seed store (null): where every seed is written and read cannot be judged',
    ]);
    const blank = new DistEdit('tk136-blank').manifest((m) => { m.estate.seedStore.reason = '   '; });
    expect(findings(await check(blank.dir), 'TK136').map((f) => f.message)).toEqual([
      'the seed store\'s reason "   " is no reason (a string of at least 10 characters)',
    ]);
    const spelled = new DistEdit('tk136-spelling').manifest((m) => { m.estate.seedStore.server = 'SEEDS.Arcodange.lab.'; });
    expect(findings(await check(spelled.dir), 'TK136')).toEqual([]);
  });

  it('a hand-edited manifest domain does not make a moved store the default: the apps are still served at the old domain (attack6a H3)', async () => {
    const d = new DistEdit('tk136-domain', cleanDist()).manifest((m) => {
      m.estate.domain = 'arcodange-lab.net';
      m.estate.seedStore.server = 'seeds.arcodange-lab.net';
    });
    const got = findings(await check(d.dir), 'TK136').map((f) => f.message);
    expect(got).toEqual([expect.stringMatching(
      /^the seed store is seeds\.arcodange-lab\.net:\/tierkit-seeds, not tierkit's default seeds\.arcodange-lab\.net:\/tierkit-seeds \(the apps are not served at arcodange-lab\.net: crm-[a-z-]*\.arcodange\.lab, .*, …\), and no reason says who runs it/,
    )]);
  });
});
