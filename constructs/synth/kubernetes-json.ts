import { ApiObject, Chart } from 'cdk8s';
import * as k8s from 'cdk8s-plus-32/lib/imports/k8s';

/**
 * `chart.toJson()` for the charts tierkit builds, without cdk8s's generic machinery: cdk8s
 * resolves and validates the whole App, resolves every value through its resolver chain, sorts
 * and copies each object, then runs the L1 class's schema mapping over it (~60 % of a large synth).
 * For objects made of plain data this is the same JSON: nulls and undefineds dropped, the
 * number-or-string unions (`IntOrString`, `Quantity`) unwrapped by the L1 classes.
 *
 * Anything outside that — a dependency between constructs, a nested chart, a JSON patch, a
 * token or Lazy, a class other than cdk8s's `ApiObject` and the generated L1 `Kube*` classes, a
 * union value on a bare `ApiObject`, an L1 property the L1 mapping renames — makes it return `undefined`, and the caller uses
 * `chart.toJson()` (test/estate/fast-synth.test.ts compares both on every chart of three estates).
 */

/**
 * The L1 properties whose wire name differs (`downwardApi` → `downwardAPI`): the L1 mapping renames
 * them by type, which this path does not model, so an object holding one goes through cdk8s.
 * Derived from cdk8s-plus-32 2.5.92's generated k8s.js (a test re-derives it on upgrade).
 */
export const RENAMED_L1_PROPERTIES: ReadonlySet<string> = new Set([
  'clientIp', 'clusterIp', 'datasetUuid', 'diskUri', 'downwardApi', 'externalId', 'hostIp', 'hostIpc', 'hostPid',
  'insecureSkipTlsVerify', 'loadBalancerIp', 'nodeId', 'nonResourceUrLs', 'openApiv3Schema', 'pdId', 'podCidRs', 'podCidr',
  'providerId', 'ref', 'scaleIo', 'schema', 'setHostnameAsFqdn', 'storagePolicyId', 'targetCpuUtilizationPercentage',
  'targetWwNs', 'volumeId', 'xKubernetesEmbeddedResource', 'xKubernetesIntOrString', 'xKubernetesListMapKeys',
  'xKubernetesListType', 'xKubernetesMapType', 'xKubernetesPreserveUnknownFields', 'xKubernetesValidations',
]);

/**
 * Where a renamed property is known to sit, by the path of keys above it (array indexes as '#'):
 * `downwardApi` of a projected volume source and of a pod volume (the lifecycle Jobs' token and
 * namespace files). Anywhere else — a label named `downwardApi`, say — the object goes through cdk8s.
 */
function renamed(key: string, path: readonly string[]): string | undefined {
  if (key !== 'downwardApi') return undefined;
  const n = path.length;
  if (path[n - 1] !== '#') return undefined;
  if (path[n - 2] === 'sources' && path[n - 3] === 'projected') return 'downwardAPI';
  if (path[n - 2] === 'volumes' && path[n - 3] === 'spec') return 'downwardAPI';
  return undefined;
}

class NotPlain extends Error {}
const NOT_PLAIN = new NotPlain();

/** The generated L1 classes (`instanceof` cannot tell: cdk8s overrides it with a per-instance mark). */
const L1_CLASSES = new Set<unknown>(Object.values(k8s).filter((v) => typeof v === 'function'
  && Object.prototype.isPrototypeOf.call(ApiObject.prototype, (v as { prototype: object }).prototype)));

function plain(value: unknown, unwrapUnions: boolean, path: string[]): unknown {
  if (value === null || value === undefined) return undefined;
  const t = typeof value;
  if (t === 'string' || t === 'number' || t === 'boolean') return value;
  if (t !== 'object') throw NOT_PLAIN;
  if (Array.isArray(value)) {
    path.push('#');
    const items = value.map((v) => {
      const p = plain(v, unwrapUnions, path);
      if (p === undefined) throw NOT_PLAIN;
      return p;
    });
    path.pop();
    return items;
  }
  const obj = value as Record<string, unknown>;
  if (obj.constructor === Object) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(obj)) {
      let wire = k;
      if (unwrapUnions && RENAMED_L1_PROPERTIES.has(k)) {
        wire = renamed(k, path) ?? '';
        if (!wire) throw NOT_PLAIN;
      }
      path.push(k);
      const p = plain(obj[k], unwrapUnions, path);
      path.pop();
      if (p !== undefined) out[wire] = p;
    }
    return out;
  }
  // IntOrString / Quantity: a class holding one `value`, which the L1 mapping unwraps.
  if (unwrapUnions && typeof obj.resolve !== 'function' && (typeof obj.value === 'string' || typeof obj.value === 'number')
    && Object.keys(obj).length === 1) {
    return obj.value;
  }
  throw NOT_PLAIN;
}

function objectJson(o: ApiObject): Record<string, unknown> {
  const internals = o as unknown as { props: Record<string, unknown>; patches: unknown[] };
  if (!Array.isArray(internals.patches) || internals.patches.length > 0) throw NOT_PLAIN;
  const l1 = L1_CLASSES.has(o.constructor);
  if (!l1 && o.constructor !== ApiObject) throw NOT_PLAIN;
  return plain({ ...internals.props, metadata: o.metadata.toJson() }, l1, []) as Record<string, unknown>;
}

/** The chart's objects as `chart.toJson()` renders them (keys in any order), or `undefined` outside the plain subset. */
export function plainChartJson(chart: Chart): Record<string, unknown>[] | undefined {
  const objects: ApiObject[] = [];
  for (const c of chart.node.findAll()) {
    if (c.node.dependencies.length > 0 || (c !== chart && c instanceof Chart)) return undefined;
    // What cdk8s's synthesis would refuse, it still refuses.
    const errors = c.node.validate();
    if (errors.length > 0) return undefined;
    if (c instanceof ApiObject) objects.push(c);
  }
  try {
    return objects.map(objectJson);
  } catch (e) {
    if (e === NOT_PLAIN) return undefined;
    throw e;
  }
}

/** `chart.toJson()`, through the plain path when the chart allows it. */
export function chartJson(chart: Chart): Record<string, unknown>[] {
  return plainChartJson(chart) ?? chart.toJson();
}
