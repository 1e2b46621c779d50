import type { Rule } from './support/rule';
import { rule as TK110 } from './TK110-k8s-object-in-own-namespace';
import { rule as TK111 } from './TK111-argocd-application-scope';
import { rule as TK112 } from './TK112-argocd-project-scope';
import { rule as TK113 } from './TK113-cross-env-service-account';
import { rule as TK114 } from './TK114-namespace-tier-label';

/** Kubernetes objects held to their env and Argo CD to its tier (issue 11, class 4), in id order. */
export const KUBERNETES_SCOPE_RULES: readonly Rule[] = [TK110, TK111, TK112, TK113, TK114];
