/** tierkit's public API: the constructs library. It knows no estate of its own. */
export * from './enums';
export * from './tier';
export * from './tier-settings';
export * from './backend';
export * from './errors';
export { Estate, EstateProps, VaultSettings, KubernetesApiSettings, NetworkEndpoint, ArgoCdSettings, CiSettings } from './estate';
export { PostgresServer, PostgresServerProps, AdminKind } from './postgres-server';
export { App, AppProps } from './app';
export { AppEnvironment, AppEnvironmentProps, PostgresRoleRef, PostgresDatabaseRef, Suppression, EscapeHatch } from './app-environment';
export { Sandbox, SandboxProps } from './sandbox';
export * as naming from './naming';
export * as statements from './statements';
export { validateEstate } from './validation';
export { synthesize, synthesizeShard, SynthOutput, SynthesizeOptions } from './synth/synthesize';
export { writeDist } from './synth/write';
export * from './synth/manifest';
export type { AppEnvironmentResources, GoldenDumpResources } from './escape-hatch';
export * as lifecycle from './lifecycle';
