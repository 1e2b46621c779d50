/**
 * health_ok, asked of Argo CD by the gated job that holds its credential (never the PR run):
 * the source env's Application is Synced and Healthy and runs the promoted image. The API is
 * Argo CD's `GET /api/v1/applications/{name}` (Application status: sync.status, health.status,
 * summary.images), with the token as a Bearer header.
 */
import type { CheckResult } from '../contract/promotion-record';

export interface HealthQuery {
  /** Argo CD's base URL (https://argocd.example). */
  readonly server: string;
  readonly token: string;
  /** The source env's Argo CD Application. */
  readonly application: string;
  /** The image the promotion moves: the source must be running it. */
  readonly image: string;
  /** @default 10000 */
  readonly timeoutMs?: number;
}

/** The answer, and what Argo CD reported (absent when it did not answer): a rollout's outcome tells Degraded from Progressing. */
export type HealthAnswer = CheckResult & { readonly observed?: { readonly sync: unknown; readonly health: unknown } };

export async function askHealth(q: HealthQuery): Promise<HealthAnswer> {
  const url = `${q.server.replace(/\/+$/, '')}/api/v1/applications/${encodeURIComponent(q.application)}`;
  let res: Response;
  try {
    res = await fetch(url, { headers: { Authorization: `Bearer ${q.token}`, Accept: 'application/json' }, signal: AbortSignal.timeout(q.timeoutMs ?? 10_000) });
  } catch (err) {
    return { ok: false, why: `Argo CD did not answer at ${url} (${(err as Error).message}): health unknown, so not healthy` };
  }
  if (!res.ok) return { ok: false, why: `Argo CD answered ${res.status} for Application ${q.application}: health unknown, so not healthy` };
  let app: any;
  try {
    app = await res.json();
  } catch {
    return { ok: false, why: `Argo CD's answer for Application ${q.application} is not JSON` };
  }
  const sync = app?.status?.sync?.status;
  const health = app?.status?.health?.status;
  const images: unknown = app?.status?.summary?.images;
  const problems: string[] = [];
  if (sync !== 'Synced') problems.push(`sync status is ${JSON.stringify(sync ?? null)}, not Synced`);
  if (health !== 'Healthy') problems.push(`health is ${JSON.stringify(health ?? null)}, not Healthy`);
  if (!Array.isArray(images) || !images.includes(q.image)) problems.push(`it does not run ${q.image} (runs ${Array.isArray(images) ? images.join(', ') || 'nothing' : 'nothing Argo CD reports'})`);
  const observed = { sync: sync ?? null, health: health ?? null };
  return problems.length > 0
    ? { ok: false, why: `Application ${q.application}: ${problems.join('; ')}`, observed }
    : { ok: true, why: `Application ${q.application} is Synced and Healthy and runs ${q.image}`, observed };
}
