import type { Rule, RuleFinding } from 'tierkit/policies';

/**
 * The repo's own rule (one per file, named <ID>-<name>.ts, with the repo's own id prefix):
 * `tierkit check` runs it in a separate process and reports it like the built-in rules.
 */
export const rule: Rule = {
  id: 'ACME001',
  name: 'image-pinned',
  severity: 'error',
  title: 'Every container image is pinned to a version',
  explanation: 'An image without a tag, or tagged latest, changes under a running environment without a reviewed diff.',
  fix: 'Give the app an image with an explicit version tag (image: "registry/app:1.2.3").',
  suppressible: true,
  evaluate(graph) {
    const findings: RuleFinding[] = [];
    for (const k of graph.kubernetes) {
      for (const image of imagesOf(k.object)) {
        const tag = /:([^/:@]+)$/.exec(image)?.[1];
        if (!image.includes('@') && (tag === undefined || tag === 'latest')) {
          findings.push({ message: `${k.kind} ${k.namespace ?? ''}/${k.name} runs ${image}, not a pinned version`, source: k.source });
        }
      }
    }
    return findings;
  },
};

/** Every `image` string anywhere in a Kubernetes object (containers, init containers, CronJobs). */
function imagesOf(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(imagesOf);
  if (!value || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, v]) => (key === 'image' && typeof v === 'string' ? [v] : imagesOf(v)));
}
