import { App, Tier, SyntheticColumn, FakeKind } from '../constructs';
import exampleEstate from '../environments';
import { synthesize } from '../constructs/synth/synthesize';
import { writeDist } from '../constructs/synth/write';
const e = exampleEstate();
new App(e, 'ops', { tiers: [Tier.DEV, Tier.PROD], objectPrefix: 'ops_', image: 'example/ops:1.0.0@sha256:' + 'a'.repeat(64), previews: { tier: Tier.DEV },
  synthetic: { version: 'v2', seed: 7, schema: 'CREATE TABLE ops_item (id int PRIMARY KEY, name text NOT NULL);',
    tables: [{ table: 'ops_item', rows: 5, columns: { id: SyntheticColumn.sequence(), name: SyntheticColumn.fake(FakeKind.COMPANY) } }] } });
writeDist(process.argv[2], synthesize(e).files);
