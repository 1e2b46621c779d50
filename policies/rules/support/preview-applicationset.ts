import * as naming from '../../../constructs/naming';
import type { Env, EstateGraph, K8sObject } from '../../graph/types';

/**
 * ApplicationSets in dist, and the app whose previews each one is (constructs/synth/preview-applicationset.ts
 * writes the shape; TK174–TK176 judge it). Every ApplicationSet is judged, whoever wrote it: Argo CD
 * generates Applications from any of them, with the ApplicationSet controller's own permissions.
 */

export const isApplicationSet = (k: K8sObject) => k.kind === 'ApplicationSet';

export function applicationSets(g: EstateGraph): K8sObject[] {
  return g.kubernetes.filter(isApplicationSet);
}

/** The env declaring previews whose ApplicationSet name (`<app>-previews`) this is, if any. */
export function previewEnvOf(g: EstateGraph, k: K8sObject): Env | undefined {
  return g.envs.find((e) => e.previews !== undefined && e.previews !== null && typeof e.app === 'string'
    && naming.previewApplicationSetName(e.app) === k.name);
}

/** `{{…}}` actions anywhere in a value, with the path where each sits. */
export function templateActions(value: unknown, path = ''): { path: string; action: string }[] {
  if (typeof value === 'string') return [...value.matchAll(/\{\{.*?\}\}/gs)].map((m) => ({ path, action: m[0] }));
  if (Array.isArray(value)) return value.flatMap((v, i) => templateActions(v, `${path}/${i}`));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => [...templateActions(k, `${path}/${k}`), ...templateActions(v, `${path}/${k}`)]);
  return [];
}

export const isRecord = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null && !Array.isArray(v);
