// fix21a: what a secret-named attribute or the admin credential reaches, read through Terraform's
// expression grammar (the parser and the evaluator), not through the text: TK010 follows locals and
// variable defaults to the literal they reach; TK040 finds var.pg_admin_* past comments, newlines and
// dynamic indexes; TK022 refuses `output` blocks and template property names (tierkit writes neither). Each case through a hand-edited
// dist with re-hashed manifest, and the TK010 one also through an escape hatch.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DistEdit } from './dist-edit';
import { check, cleanDist, env, findings, synthDist } from './helpers';
import type { CheckReport } from '../../policies';

const REL = 'terraform/erp-sandbox/cdk.tf.json';
const LOGIN = { name: 'erp_sandbox_extra', login: true, roles: ['erp_sandbox_role'] };

function edited(label: string, edit: (json: any) => void): string {
  const e = new DistEdit(label, cleanDist());
  const json = JSON.parse(readFileSync(join(e.dir, REL), 'utf8'));
  edit(json);
  e.write(REL, `${JSON.stringify(json, null, 2)}\n`);
  return e.dir;
}

const at = (r: CheckReport, rule: string) => findings(r, rule).filter((f) => f.severity === 'error' && !f.suppressed).map((f) => f.pointer);

describe('TK010 follows references to the literal they reach', () => {
  const roles: Record<string, unknown> = {
    chain: { ...LOGIN, name: 'r_chain', password: '${local.a}' },
    number: { ...LOGIN, name: 'r_number', password: '${var.n}' },
    cond: { ...LOGIN, name: 'r_cond', password: '${var.s == "" ? "hunter2hunter2" : "hunter2hunter2"}' },
    fromobject: { ...LOGIN, name: 'r_obj', password: '${local.m.pass}' },
    // Not literals: given at plan time, or computed.
    sensitive: { ...LOGIN, name: 'r_sensitive', password: '${var.s}' },
    plain: { ...LOGIN, name: 'r_plain', password: '${var.nodefault}' },
    vialocal: { ...LOGIN, name: 'r_vialocal', password: '${local.fromvar}' },
    computed: { ...LOGIN, name: 'r_computed', password: '${local.m.computed}' },
  };
  let report: CheckReport;
  beforeAll(async () => {
    report = await check(edited('fix21a-tk010', (j) => {
      j.locals = { a: '${local.b}', b: 'hunter2hunter2', m: { pass: 'hunter2hunter2', computed: '${postgresql_role.group_role.id}' }, fromvar: '${var.s}' };
      Object.assign(j.variable, { n: { type: 'number', default: 12345678 }, s: { type: 'string', sensitive: true }, nodefault: { type: 'string' } });
      Object.assign(j.resource.postgresql_role, roles);
    }));
  }, 240_000);

  it('a literal one or two locals away, a non-sensitive numeric default, a literal in an object local, a conditional of literals', () => {
    const ptrs = at(report, 'TK010');
    for (const name of ['chain', 'number', 'cond', 'fromobject']) expect(ptrs, name).toContain(`/resource/postgresql_role/${name}/password`);
  });

  it('no finding where the chain ends at a sensitive variable, a variable without default, or a computed attribute', () => {
    const ptrs = at(report, 'TK010');
    for (const name of ['sensitive', 'plain', 'vialocal', 'computed']) expect(ptrs, name).not.toContain(`/resource/postgresql_role/${name}/password`);
  });

  it('through an escape hatch: a local literal behind a password', async () => {
    const r = await check(synthDist((e) => env(e, 'erp', 'sandbox').addEscapeHatch((h) => {
      h.stack.addOverride('locals', { x: 'hunter2hunter2' });
      h.stack.addOverride('resource.postgresql_role.extra', { ...LOGIN, password: '${local.x}' });
    }), 'fix21a-tk010-hatch'));
    expect(at(r, 'TK010')).toContain('/resource/postgresql_role/extra/password');
  }, 240_000);
});

describe('TK040 reads references with the parser; TK022 refuses outputs', () => {
  let report: CheckReport;
  beforeAll(async () => {
    report = await check(edited('fix21a-tk040', (j) => {
      j.locals = { k: 'pg_admin_password', m: { '${nonsensitive(var.pg_admin_password)}': 1, '$${escaped}': 2 } };
      Object.assign(j.resource.postgresql_role, {
        comment: { ...LOGIN, name: 'a_comment', password: '${var./*x*/pg_admin_password}' },
        hash: { ...LOGIN, name: 'a_hash', password: '${var.#x\npg_admin_password}' },
        slashes: { ...LOGIN, name: 'a_slashes', password: '${var.// x\npg_admin_password}' },
        spaced: { ...LOGIN, name: 'a_spaced', password: '${var\n.\npg_admin_password}' },
        dynamic: { ...LOGIN, name: 'a_dynamic', password: '${var[local.k]}' },
        heredoc: { ...LOGIN, name: 'a_heredoc', password: '${<<EOT\n${var.pg_admin_password}\nEOT\n}' },
        kelvin: { ...LOGIN, name: 'erp_role_\u212a' },
      });
      j.output = { harmless: { value: 'x' } };
    }));
  }, 240_000);

  it('var./*x*/pg_admin_*, comments and newlines inside the traversal, var[<expr>], a heredoc: each a TK040 finding', () => {
    const ptrs = at(report, 'TK040');
    for (const name of ['comment', 'hash', 'slashes', 'spaced', 'dynamic', 'heredoc']) expect(ptrs, name).toContain(`/resource/postgresql_role/${name}/password`);
  });

  it('an output block, whatever it prints, is a TK022 finding', () => {
    expect(at(report, 'TK022')).toContain('/output');
  });

  it('a string not in Unicode NFC (Terraform normalizes U+212A to K) is a TK022 finding', () => {
    expect(at(report, 'TK022')).toContain('/resource/postgresql_role/kelvin/name');
  });

  it('a property name that is a template (Terraform evaluates it; rules read keys as written) is a TK022 finding', () => {
    expect(at(report, 'TK022')).toEqual(expect.arrayContaining(['/locals/m/${nonsensitive(var.pg_admin_password)}', '/locals/m/$${escaped}']));
  });
});
