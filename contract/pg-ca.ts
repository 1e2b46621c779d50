/**
 * Where CI writes a verify-full server's CA for the stacks' postgresql provider (`sslrootcert`):
 * a literal path, so `check` reads the provider block as it runs (TK021 refuses a variable there),
 * the same on the plan and the apply runner. The job writes it from the manifest's
 * `servers[].caCertificatePem`, checked against `caCertificateSha256` (ci/steps.ts, caFileStep).
 */
export const PG_CA_DIR = '/tmp/tierkit-pg-ca';
export const pgCaFile = (serverId: string): string => `${PG_CA_DIR}/${serverId}.pem`;

/** Where a lifecycle pod (golden dump, reset) writes its verify-full server's CA for libpq: its own /tmp volume. */
export const POD_PG_CA_FILE = '/tmp/tierkit-pg-ca.pem';
