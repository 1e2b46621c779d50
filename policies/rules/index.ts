import type { Rule } from './rule';
import { rule as TK001 } from './TK001-ownership-and-membership';
import { rule as TK002 } from './TK002-database-connect';
import { rule as TK003 } from './TK003-privileged-role-attributes';
import { rule as TK004 } from './TK004-dynamic-role-statements';
import { rule as TK005 } from './TK005-vault-connection';
import { rule as TK006 } from './TK006-credential-ttl';
import { rule as TK007 } from './TK007-vault-policy-reach';
import { rule as TK008 } from './TK008-auth-role-binding';
import { rule as TK009 } from './TK009-superuser-provider-gate';
import { rule as TK010 } from './TK010-literal-secrets';
import { rule as TK011 } from './TK011-egress-default-deny';
import { rule as TK012 } from './TK012-seed-profile';
import { rule as TK013 } from './TK013-sandbox-ttl';
import { rule as TK014 } from './TK014-vault-policy-escalation';
import { rule as TK015 } from './TK015-sandbox-expired';
import { rule as TK020 } from './TK020-dist-integrity';
import { rule as TK021 } from './TK021-unresolved-expression';
import { rule as TK022 } from './TK022-unmodelled-provider';

export type { Rule, RuleContext, RuleFinding, Severity } from './rule';

/** The rule pack, in id order. Ids are stable: suppressions and SARIF baselines refer to them. */
export const RULES: readonly Rule[] = [TK001, TK002, TK003, TK004, TK005, TK006, TK007, TK008, TK009, TK010, TK011, TK012, TK013, TK014, TK015,
  TK020, TK021, TK022];

export function ruleById(id: string): Rule | undefined {
  return RULES.find((r) => r.id === id);
}
