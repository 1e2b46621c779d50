import type { App } from './app';
import type { Estate } from './estate';
import type { ValidationIssue } from './errors';
import { hasReset } from './lifecycle/plan';
import { RolloutStrategy, pointerSegment } from './releases';

/**
 * An app's releases file against the app and the estate: the file's own shape is checked when it
 * is read (Releases.parse; fromFile keeps those problems, reported here first); then what only the estate knows. Issues name the file and JSON pointer.
 */
export function releasesAppIssues(estate: Estate, app: App): ValidationIssue[] {
  const r = app.releases;
  if (!r) return [];
  // A file that could not be read or parsed (Releases.fromFile): what it says about the app is unknown.
  if (r.problems.length > 0) return [...r.problems];
  const out: ValidationIssue[] = [];
  const add = (pointer: string, value: unknown, message: string, fix: string) => out.push({ path: r.file, property: pointer, value, message, fix });
  if (r.app !== app.appName) add('/app', r.app, `names another app than the one it is given to (${estate.displayPath(app)})`, `set it to "${app.appName}", or give this app its own file`);
  const envs = new Map(app.environments.map((e) => [e.env, e]));
  for (const [name, rel] of Object.entries(r.envs)) {
    const at = `/envs/${pointerSegment(name)}`;
    const env = envs.get(name);
    if (!env) {
      add(at, name, `is not an env of app ${app.appName} (${[...envs.keys()].sort().join(', ')})`, 'remove it, or add the tier or sandbox to the app');
      continue;
    }
    for (const flag of Object.keys(rel.flags)) {
      if (!Object.prototype.hasOwnProperty.call(app.flags, flag)) {
        add(`${at}/flags/${pointerSegment(flag)}`, flag, `is not a flag app ${app.appName} declares (${Object.keys(app.flags).sort().join(', ') || 'none'})`, 'declare it in the App\'s `flags`, or remove it');
      }
    }
    const allowed = estate.promotion.strategies(env.tier);
    if (!allowed.includes(rel.strategy)) {
      add(`${at}/strategy`, rel.strategy.name, `is not a strategy tier ${env.tier.name} allows (${allowed.map((s) => s.name).join(', ')})`,
        `use one of those, or allow it in the estate's promotion.tiers for Tier.${env.tier.name.toUpperCase()}`);
    } else if (rel.strategy !== RolloutStrategy.IMMEDIATE && hasReset(env)) {
      // A reset scales the Deployment itself (and Argo CD ignores its replicas): a Rollout would fight it.
      add(`${at}/strategy`, rel.strategy.name, `cannot be used on ${env.slug}: its reset Job scales the Deployment, which a Rollout owns`, 'use "immediate"');
    }
  }
  for (const env of app.environments) {
    if (!env.isSandbox && !(env.env in r.envs)) {
      add(`/envs/${pointerSegment(env.env)}`, undefined, `is missing: ${env.slug} is an env of app ${app.appName}`, `add "${env.env}": { "image": "<repo>@sha256:<digest>" }`);
    }
  }
  return out;
}
