import type { Rule } from './support/rule';
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
import { rule as TK016 } from './TK016-state-key-layout';
import { rule as TK017 } from './TK017-builtin-tier-definitions';
import { rule as TK018 } from './TK018-review-app-token';
import { rule as TK019 } from './TK019-review-check-bound-to-app';
import { rule as TK020 } from './TK020-dist-integrity';
import { rule as TK021 } from './TK021-unresolved-expression';
import { rule as TK022 } from './TK022-unmodelled-provider';
import { rule as TK023 } from './TK023-review-workflow-plan';
import { rule as TK024 } from './TK024-review-head-as-data';
import { rule as TK025 } from './TK025-review-permissions';
import { rule as TK026 } from './TK026-main-required-review-check';
import { rule as TK030 } from './TK030-postgres-unmodelled-upward';
import { rule as TK031 } from './TK031-postgres-unmodelled';
import { rule as TK032 } from './TK032-postgres-function';
import { rule as TK033 } from './TK033-postgres-foreign-server';
import { rule as TK034 } from './TK034-postgres-object-privileges';
import { rule as TK035 } from './TK035-postgres-extension-label';
import { rule as TK036 } from './TK036-postgres-replication';
import { rule as TK037 } from './TK037-postgres-database-attributes';
import { rule as TK038 } from './TK038-postgres-unquoted-sql';
import { rule as TK039 } from './TK039-postgres-undeclared-role';
import { rule as TK040 } from './TK040-postgres-admin-credential';
import { rule as TK041 } from './TK041-maintenance-database-connect';
import { rule as TK042 } from './TK042-stack-provider-server';
import { rule as TK043 } from './TK043-shared-server-session-caps';
import { rule as TK044 } from './TK044-tier-cluster-sharing';
import { rule as TK045 } from './TK045-vault-connection-target';
import { rule as TK046 } from './TK046-vault-creds-quota';
import { rule as TK048 } from './TK048-live-egress-ports';
import { rule as TK049 } from './TK049-verify-full-ca';
import { rule as TK050 } from './TK050-namespace-pod-security';
import { rule as TK051 } from './TK051-pod-security-restricted';
import { rule as TK052 } from './TK052-container-resources';
import { rule as TK053 } from './TK053-sandbox-quota';
import { rule as TK054 } from './TK054-workload-probes';
import { rule as TK055 } from './TK055-service-account-tokens';
import { rule as TK056 } from './TK056-vault-auth-audience';
import { rule as TK057 } from './TK057-database-caps';
import { rule as TK058 } from './TK058-tier-placement';
import { rule as TK059 } from './TK059-ingress-class-tls';
import { rule as TK060 } from './TK060-image-digest';
import { rule as TK061 } from './TK061-live-server-verify-full';
import { rule as TK062 } from './TK062-vault-path-clean';
import { rule as TK063 } from './TK063-env-exposure';
import { rule as TK070 } from './TK070-vault-policy-unreadable';
import { rule as TK071 } from './TK071-vault-type-unmodelled';
import { rule as TK072 } from './TK072-vault-object-adoption';
import { rule as TK090 } from './TK090-ci-identity-claims';
import { rule as TK091 } from './TK091-pull-request-read-only';
import { rule as TK092 } from './TK092-state-backend-key';
import { rule as TK093 } from './TK093-state-identity-scope';
import { rule as TK094 } from './TK094-rendered-branch-rulesets';
import { rule as TK095 } from './TK095-argocd-source-repository';
import { rule as TK096 } from './TK096-ci-postgres-credential-reach';
import { rule as TK097 } from './TK097-postgres-planner-group';
import { rule as TK098 } from './TK098-argocd-signature-keys';
import { rule as TK110 } from './TK110-k8s-object-in-own-namespace';
import { rule as TK111 } from './TK111-argocd-application-scope';
import { rule as TK112 } from './TK112-argocd-project-scope';
import { rule as TK113 } from './TK113-cross-env-service-account';
import { rule as TK114 } from './TK114-namespace-tier-label';
import { rule as TK115 } from './TK115-network-reach-stricter-server';
import { rule as TK116 } from './TK116-egress-widening-reasoned';
import { rule as TK117 } from './TK117-template-reset-login';
import { rule as TK118 } from './TK118-template-reset-vault-pool';
import { rule as TK120 } from './TK120-ttl-sweep-policy';
import { rule as TK121 } from './TK121-ttl-sweep-identity';
import { rule as TK122 } from './TK122-ttl-sweep-job';
import { rule as TK123 } from './TK123-sandbox-created-in-future';
import { rule as TK124 } from './TK124-reset-revoke-policy';
import { rule as TK125 } from './TK125-reset-revoke-identity';
import { rule as TK126 } from './TK126-sandbox-credential-expiry-guard';
import { rule as TK127 } from './TK127-reset-restores-flags';
import { rule as TK128 } from './TK128-template-reset-role';
import { rule as TK129 } from './TK129-golden-template-database';
import { rule as TK130 } from './TK130-seed-volume-data-class';
import { rule as TK131 } from './TK131-seed-volume-writer';
import { rule as TK132 } from './TK132-seed-hash-writer';
import { rule as TK133 } from './TK133-golden-scrubbed';
import { rule as TK134 } from './TK134-instance-key-separation';
import { rule as TK135 } from './TK135-reset-verifies-seed';
import { rule as TK136 } from './TK136-seed-store-declared';
import { rule as TK137 } from './TK137-template-reset-sandbox-tier';
import { rule as TK138 } from './TK138-seed-producer-pod';
import { rule as TK139 } from './TK139-seed-producer-identity';
import { rule as TK140 } from './TK140-rollout-strict';
import { rule as TK141 } from './TK141-rollout-workload';
import { rule as TK142 } from './TK142-deployment-handed-over';
import { rule as TK143 } from './TK143-promotion-chain';
import { rule as TK144 } from './TK144-planner-issuer-connection';
import { rule as TK145 } from './TK145-planner-login-statements';
import { rule as TK146 } from './TK146-planner-login-ttl';
import { rule as TK147 } from './TK147-planner-login-readers';
import { rule as TK150 } from './TK150-retired-stack-state';
import { rule as TK151 } from './TK151-vault-connection-attributes';
import { rule as TK152 } from './TK152-vault-name-canonical';
import { rule as TK160 } from './TK160-promote-credential-statements';
import { rule as TK161 } from './TK161-promote-credential-readers';
import { rule as TK162 } from './TK162-rehearse-identity';
import { rule as TK163 } from './TK163-data-promote-workflow';
import { rule as TK164 } from './TK164-preview-workload-auth-role';
import { rule as TK165 } from './TK165-preview-creds-readers';
import { rule as TK166 } from './TK166-preview-workload-policy';
import { rule as TK167 } from './TK167-data-promote-record-job';
import { rule as TK168 } from './TK168-probe-host';
import { rule as TK170 } from './TK170-preview-admin';
import { rule as TK171 } from './TK171-preview-connection';
import { rule as TK172 } from './TK172-preview-jobs-identity';
import { rule as TK173 } from './TK173-preview-admin-secret-unread';
import { rule as TK174 } from './TK174-preview-appset-template';
import { rule as TK175 } from './TK175-preview-appset-generator';
import { rule as TK176 } from './TK176-preview-appset-target';
import { rule as TK177 } from './TK177-reserved-namespace';
import { rule as TK178 } from './TK178-preview-jobs-service-account';
import { rule as TK179 } from './TK179-preview-manifests';
import { rule as TK180 } from './TK180-preview-collector';
import { rule as TK184 } from './TK184-template-reset-pods';

export type { Rule, RuleContext, RuleFinding, Severity } from './support/rule';

/** The rule pack, in id order. Ids are stable: suppressions and SARIF baselines refer to them. */
export const RULES: readonly Rule[] = [
  TK001, TK002, TK003, TK004, TK005, TK006, TK007, TK008, TK009, TK010,
  TK011, TK012, TK013, TK014, TK015, TK016, TK017, TK018, TK019, TK020,
  TK021, TK022, TK023, TK024, TK025, TK026, TK030, TK031, TK032, TK033,
  TK034, TK035, TK036, TK037, TK038, TK039, TK040, TK041, TK042, TK043,
  TK044, TK045, TK046, TK048, TK049, TK050, TK051, TK052, TK053, TK054,
  TK055, TK056, TK057, TK058, TK059, TK060, TK061, TK062, TK063, TK070,
  TK071, TK072, TK090, TK091, TK092, TK093, TK094, TK095, TK096, TK097,
  TK098, TK110, TK111, TK112, TK113, TK114, TK115, TK116, TK117, TK118,
  TK120, TK121, TK122, TK123, TK124, TK125, TK126, TK127, TK128, TK129,
  TK130, TK131, TK132, TK133, TK134, TK135, TK136, TK137, TK138, TK139,
  TK140, TK141, TK142, TK143, TK144, TK145, TK146, TK147, TK150, TK151,
  TK152, TK160, TK161, TK162, TK163, TK164, TK165, TK166, TK167, TK168,
  TK170, TK171, TK172, TK173, TK174, TK175, TK176, TK177, TK178, TK179,
  TK180, TK184,
];

export function ruleById(id: string): Rule | undefined {
  return RULES.find((r) => r.id === id);
}
