/**
 * The container images tierkit itself renders (lifecycle Jobs: scale steps, TTL sweep, reset,
 * golden dump), each pinned `repository:tag@sha256:<index digest>`: a tag can be moved under a
 * running Job, and the golden dump holds a read-all credential on prod.
 *
 * There is no registry access at synth time (and output must not depend on the network), so each
 * digest is written here, read from public sources that pull or pin the exact tag, and kept only
 * where two independent sources agree. The digest is the multi-arch index digest Docker Hub serves
 * for the tag at the time those sources pinned it; pulling by digest keeps working after the tag
 * moves. To move a tag: change tag and digest together, with two new citations.
 */

export interface PinnedImage {
  readonly repository: string;
  readonly tag: string;
  /** `sha256:<64 hex>` */
  readonly digest: string;
}

export const imageReference = (i: PinnedImage): string => `${i.repository}:${i.tag}@${i.digest}`;

/**
 * kubectl with bash (the scale, flag-reset and sweep steps are bash scripts). Not
 * registry.k8s.io/kubectl: that image is built on gcr.io/distroless/static (kubernetes/kubernetes
 * build/common.sh, KUBECTL_BASE_IMAGE → KUBE_GORUNNER_IMAGE) and has no shell, so `/bin/bash -c`
 * could not start. alpine/k8s bundles kubectl, bash and curl.
 * Sources agreeing on the digest: a Terraform kubernetes_cron_job ("watchdog" container), a
 * Dockerfile `FROM alpine/k8s:1.34.1@sha256:ec714df3…` (with kyverno-cli), and a render test
 * grepping `docker.io/alpine/k8s:1.34.1@sha256:ec714df3…`.
 */
export const KUBECTL: PinnedImage = {
  repository: 'docker.io/alpine/k8s', tag: '1.34.1',
  digest: 'sha256:ec714df3813b5405292860f8a1c55c5727bf8c33c88992f1e981efad8065547f',
};

/**
 * curl and a POSIX sh, for the TTL sweep's one Vault request. Sources: a Go prober constant, a
 * Kyverno demo script (PowerShell), a bash test's CURL_IMAGE and a Pod manifest, all
 * `curlimages/curl:8.11.1@sha256:c1fe1679…`.
 */
export const CURL: PinnedImage = {
  repository: 'docker.io/curlimages/curl', tag: '8.11.1',
  digest: 'sha256:c1fe1679c34d9784c1b0d1e5f62ac0a79fca01fb6377cdd33e90473c6f9f9a69',
};

/**
 * The Vault CLI (golden dump's publish step). Sources: sigstore/sigstore test/e2e/vault.Dockerfile
 * (a renovate pin in its history), a Terraform Cloud Run sidecar and a compose test, all
 * `hashicorp/vault:1.18.3@sha256:8f1ba670…`.
 */
export const VAULT_CLI: PinnedImage = {
  repository: 'docker.io/hashicorp/vault', tag: '1.18.3',
  digest: 'sha256:8f1ba670da547c6af67be55609bd285c3ee3d8b73f88021adbfc43c82ca409e8',
};

/**
 * PostgreSQL client tools (official Debian image) by server major: the tools must be of the
 * server's major (pg_dump refuses a newer server; the scrub server restores the dump it wrote).
 * Each digest, with the sources that agree on it:
 * - 13.23: a pg13→16 upgrade script, a C# test constant, a Python constant, a `kubectl describe` (Image ID of `postgres:13`).
 * - 14.19: a Go map of pinned majors and a compatibility table (`14.19.0.0 … postgres:14.19@sha256:962ffbe9…`).
 * - 15.18: a Go matrix script (`15|150018|…`, server_version_num checked), a compose test (`postgres:15@sha256:6eb0add3…`), a doc table (`postgres:15.18@…`).
 * - 16.14: the same matrix (`16|160014|…`), a pg13→16 upgrade script, a Testcontainers constant.
 * - 17.10: two TypeScript test constants and a Dockerfile (`postgres:17.10@sha256:7958605b…`).
 * - 18.1: docker-library/repo-info repos/postgres/remote/18-trixie.md, a Gradle plugin config, a compose heredoc.
 */
export const POSTGRES_CLIENT: Readonly<Record<number, PinnedImage>> = Object.freeze({
  13: { repository: 'docker.io/library/postgres', tag: '13.23', digest: 'sha256:4689940c683801b4ab839ab3b0a0a3555a5fe425371422310944e89eca7d8068' },
  14: { repository: 'docker.io/library/postgres', tag: '14.19', digest: 'sha256:962ffbe9f6418387643411b127c1db27465e5a23b9a8849bfaf45fa6323963ce' },
  15: { repository: 'docker.io/library/postgres', tag: '15.18', digest: 'sha256:6eb0add3b77c081df18aa518ce43df58fdcc40f2e6d868a6fd08038dc7acd425' },
  16: { repository: 'docker.io/library/postgres', tag: '16.14', digest: 'sha256:95206741a5b214807675e14165369d05b93a9cf692223b616d07cca227e74b0b' },
  17: { repository: 'docker.io/library/postgres', tag: '17.10', digest: 'sha256:7958605b474b3d264a969cb3a123d6aa00ad1e1fe9da8a69984dabb704d93317' },
  18: { repository: 'docker.io/library/postgres', tag: '18.1', digest: 'sha256:1090bc3a8ccfb0b55f78a494d76f8d603434f7e4553543d6e807bc7bd6bbd17f' },
});

/** The majors tierkit has a pinned client image for (validation refuses another where a Job needs one). */
export const PINNED_POSTGRES_MAJORS: readonly number[] = Object.keys(POSTGRES_CLIENT).map(Number);
