/** Golden dump and reset: which envs get them, the Jobs, and the one copy of their scripts. */
export { hasGoldenDump, hasReset, resetRevokesLeases, resetSeed, resetSchedule } from './plan';
export { CONTENT_HASH_SCRIPT, GOLDEN_DUMP_SCRIPT, RESET_SCRIPT, REVOKE_LEASES_SCRIPT } from './scripts';
export { SANITIZE_SCRIPT, SYNTHETIC_SEED_SCRIPT } from './seed-scripts';
export { GOLDEN_TEMPLATE_LOAD_SCRIPT, TEMPLATE_RESET_SCRIPT } from './template-reset';
export { buildLifecycleJobs, KUBECTL_IMAGE, SEED_MOUNT_PATH, postgresClientImage } from './jobs';
