/**
 * The reset pod's kubectl and Vault steps as tierkit renders them (constructs/lifecycle/jobs.ts
 * `scale`, `revokeStep`): each compared whole by resetPodProblems, never by name. They run as the
 * reset's service account, in the pod where the Vault agent renders the reset's database login
 * (for a template reset, the template role's): a step of another image or script runs as that login.
 */
import { flagsResetPatch } from '../../../contract/flags';
import { FLAGS_RESET_SCRIPT, LIFECYCLE_PATHS as P, RESET_REVOKE_LEASES_SCRIPT, SCALE_SCRIPT } from '../../../constructs/lifecycle/scripts';
import { CURL, KUBECTL, imageReference } from '../../../constructs/lifecycle/images';
import * as naming from '../../../constructs/naming';
import type { EstateGraph } from '../../graph/types';
import type { Env, Expected } from './pod-compare';
import { sweepRevokePath } from './ttl-sweep';

/** constructs/synth/pod-security.ts REPLICAS: what a reset scales the env's Deployment back to. */
const RESET_SCALE_UP_REPLICAS = 1;
/** Where kubectl's in-cluster config reads the API token (jobs.ts kubeApiTokenMount); only the kubectl steps mount it. */
const KUBE_API_TOKEN_MOUNT = { name: 'kube-api-token', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true } as const;

/**
 * `scale-down` (to 0) or `scale-up` (to the env's replicas) of the env's own Deployment; a
 * sandbox's scale-up carries its expiry (the manifest's), after which it keeps the sandbox at 0.
 */
export function scaleStep(env: Env, name: 'scale-down' | 'scale-up'): Expected {
  const up = name === 'scale-up';
  const expiresAt = env.sandbox?.expiresAt;
  return {
    name, image: imageReference(KUBECTL), command: ['/bin/bash', '-c', SCALE_SCRIPT],
    env: {
      TIERKIT_DEPLOYMENT: naming.workloadName(env), TIERKIT_NAMESPACE: env.names.namespace, TIERKIT_REPLICAS: String(up ? RESET_SCALE_UP_REPLICAS : 0),
      // An unreadable expiry expects a value no rendering has: the pod is then a finding, never a pass.
      ...(up && env.sandbox ? {
        TIERKIT_EXPIRES_AT: typeof expiresAt === 'string' ? expiresAt : '<unreadable expiresAt>',
        TIERKIT_EXPIRES_AT_EPOCH: typeof expiresAt === 'string' && Number.isFinite(Date.parse(expiresAt)) ? String(Date.parse(expiresAt) / 1000) : '<unreadable expiresAt>',
      } : {}),
    },
    mounts: [KUBE_API_TOKEN_MOUNT],
  };
}

/** An hourly reset's revoke of the env's leases and its flags restore, after the reset (TK124, TK125, TK127). */
export function revokeSteps(g: EstateGraph, env: Env): Expected[] {
  return [{
    name: 'revoke-leases', image: imageReference(CURL), command: ['/bin/sh', '-c', RESET_REVOKE_LEASES_SCRIPT],
    env: { TIERKIT_VAULT_REVOKE_PATH: sweepRevokePath(g, env), TIERKIT_VAULT_TOKEN_FILE: P.vaultTokenFile, VAULT_ADDR: String(g.manifest.estate?.vault?.address) },
    mounts: [{ name: 'tmp', mountPath: P.tmpMount }],
  }, {
    name: 'reset-flags', image: imageReference(KUBECTL), command: ['/bin/bash', '-c', FLAGS_RESET_SCRIPT],
    env: { TIERKIT_FLAGS_CONFIGMAP: naming.flagsConfigMapName(env), TIERKIT_FLAGS_PATCH: flagsResetPatch(env.flags ?? {}), TIERKIT_NAMESPACE: env.names.namespace },
    mounts: [KUBE_API_TOKEN_MOUNT],
  }];
}
